// Recording the inspector's HTTP exchanges: a customFetch that keeps each request and answer with
// credentials masked, and names what stopped a request that got no answer the page could read.
// Framework-free: no svelte, $app or $env imports.
import type * as oauth from 'oauth4webapi';
import { isTimeout } from '../base/http.js';
import { SECRET_FIELDS, maskMembers, maskToken } from '../base/mask.js';

/**
 * What the inspector's page may connect to: its Content-Security-Policy connect-src, as the
 * server builds it (the configured servers and INSPECT_CONNECT_ORIGINS), and the page's own origin.
 */
export interface ConnectPolicy {
  appOrigin: string;
  origins: readonly string[];
}

/** One HTTP exchange, with credentials masked for display. */
export interface RecordedExchange {
  label: string;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  /** The form fields as sent, for the copyable curl command (which masks them again). */
  form?: Record<string, string>;
  response?: { status: number; headers: Record<string, string>; body: string };
  /** The browser did not hand an answer to the page: see `StepProblem['code']`. */
  failure?: TransportFailure;
}

/** Why a request got no answer the page could read. */
export type TransportFailure = 'csp_blocked' | 'cors_blocked' | 'network_error' | 'timeout';

/**
 * What stopped a step that is not a server's answer: something to enter or fix in the form
 * (`form`), a target this page's CSP does not allow (`csp_blocked`, nothing sent), or a request
 * the browser did not complete (`cors_blocked`, `network_error`, `timeout`). `message` says, in
 * plain words, what happened and what to do.
 */
export interface StepProblem {
  code: 'form' | TransportFailure;
  message: string;
  /** The form field or setting to change: `issuer`, `token_endpoint`, `INSPECT_CONNECT_ORIGINS`… */
  field?: string;
  /** The URL the step was to call. */
  endpoint?: string;
}

const MAX_BODY_SHOWN = 32_768;

function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization')
      out[name] = value.replace(/^(\S+)\s+(.+)$/, (_m, scheme, token) => `${scheme} ${maskToken(token)}`);
    else if (lower === 'dpop') out[name] = maskToken(value);
    else out[name] = value;
  }
  return out;
}

function maskForm(form: Record<string, string>): string {
  return Object.entries(form)
    .map(([k, v]) => `${k}=${SECRET_FIELDS.has(k) ? maskToken(v) : v}`)
    .join('&');
}

/** Masks every credential-named member (SECRET_FIELDS), at any depth, in parsed JSON. */
const maskDeep = (value: unknown): unknown =>
  maskMembers(value, (_key, v) => (typeof v === 'string' ? maskToken(v) : maskDeep(v)));

function maskBody(text: string): string {
  try {
    return JSON.stringify(maskDeep(JSON.parse(text)), null, 2).slice(0, MAX_BODY_SHOWN);
  } catch {
    // Not JSON. A form body has its credentials masked; anything else (broken JSON included) has
    // any quoted credential member masked, and is cut short.
    const shown = text.slice(0, MAX_BODY_SHOWN);
    if (/^[\w.-]+=/.test(shown))
      return maskForm(Object.fromEntries(new URLSearchParams(shown))).slice(0, MAX_BODY_SHOWN);
    return shown.replace(/"([a-z_]+)"\s*:\s*"([^"]*)"/gi, (whole, key: string, value: string) =>
      SECRET_FIELDS.has(key) ? `"${key}": "${maskToken(value)}"` : whole,
    );
  }
}

/** Stops a step with a problem that is not a server's answer (see `StepProblem`). */
export class StepProblemError extends Error {
  readonly problem: StepProblem;
  constructor(problem: StepProblem, options?: { cause?: unknown }) {
    super(problem.message, options);
    this.name = 'StepProblemError';
    this.problem = problem;
  }
}

export function formProblem(message: string, field?: string): StepProblemError {
  return new StepProblemError({ code: 'form', message, field });
}

/** True when connect-src source `allowed` (an origin) lets the page reach `origin` (CSP3 §6.7.2.8). */
function sourceAllows(allowed: string, origin: string): boolean {
  if (allowed === origin) return true;
  // An http source also allows the same host and port over https.
  return allowed.startsWith('http://') && origin === `https://${allowed.slice('http://'.length)}`;
}

/**
 * The problem, found before any request, when `endpoint` lies outside the page's connect-src: the
 * browser would block the request, so none is made. Without a policy, nothing is known to block.
 */
export function connectProblem(endpoint: string | URL, connect: ConnectPolicy | undefined): StepProblem | undefined {
  if (!connect) return undefined;
  const { origin } = new URL(endpoint);
  if (origin === connect.appOrigin || connect.origins.some((allowed) => sourceAllows(allowed, origin)))
    return undefined;
  return {
    code: 'csp_blocked',
    field: 'INSPECT_CONNECT_ORIGINS',
    endpoint: String(endpoint),
    message: `Nothing was sent: this page may not connect to ${origin}, which is not in the inspector’s Content-Security-Policy connect-src. ${addToConnectOrigins(origin)}`,
  };
}

/** The way forward when connect-src does not name `origin`. */
export function addToConnectOrigins(origin: string): string {
  return `Add ${origin} to INSPECT_CONNECT_ORIGINS in Fieldpass’s server environment and restart the server (it reads the variable at start-up).`;
}

export function assertConnectable(endpoint: string | URL, connect: ConnectPolicy | undefined): void {
  const problem = connectProblem(endpoint, connect);
  if (problem) throw new StepProblemError(problem);
}

/**
 * Whether anything answers at `url`: a GET in `no-cors` mode, without credentials, code or token.
 * Its answer is unreadable, but the fetch resolves only if one came. A failed fetch alone looks the
 * same whether CORS withheld the answer or nothing answered at all.
 */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, {
      method: 'GET',
      mode: 'no-cors',
      credentials: 'omit',
      headers: {},
      signal: AbortSignal.timeout(5_000),
    });
    return true;
  } catch {
    return false;
  }
}

/** What a request that may have reached the server means for an authorization code it carried. */
const CODE_MAY_BE_SPENT =
  ' It carried the authorization code and may have reached the server, so the code may have been used; start a new sign-in rather than sending it again.';

function transportMessage(
  failure: TransportFailure,
  endpoint: string,
  appOrigin: string,
  { blocked, carriesCode }: { blocked?: string; carriesCode: boolean },
): string {
  const code = carriesCode ? CODE_MAY_BE_SPENT : '';
  switch (failure) {
    case 'csp_blocked':
      return `The browser blocked the request to ${blocked}: the inspector’s Content-Security-Policy connect-src does not allow it. ${addToConnectOrigins(blocked ?? endpoint)}`;
    case 'cors_blocked':
      return `Something answers at ${endpoint}, but the browser did not let this page read the answer to this request. Most likely CORS: the server did not allow this origin (${appOrigin}) with an Access-Control-Allow-Origin header, or refused the browser’s preflight (for example a request header it does not accept, such as DPoP). A second request, a plain GET without credentials in no-cors mode, did get an answer, which the browser keeps unreadable: that only shows something is there. Check the server’s CORS settings for ${appOrigin}, or call this endpoint from a server.${code}`;
    case 'network_error':
      return `Nothing answered at ${endpoint}: the request failed, and a second one without credentials (no-cors mode) got no answer either. Check the address and port, and that the server is running and reachable from this browser.`;
    case 'timeout':
      return `${endpoint} did not answer within the time limit, so the request was abandoned; the server may still have processed it.${code}`;
  }
}

/**
 * A `customFetch` that records each exchange (masked) into `log` before handing the response on.
 * A request the browser does not complete is recorded with its `failure` and rethrown as a
 * `StepProblemError`: `csp_blocked` when the browser reported a connect-src violation,
 * `cors_blocked` when something answers at the URL (see `answers`), else `network_error`; or
 * `timeout`.
 */
export function recordingFetch(log: RecordedExchange[], label: string, connect?: ConnectPolicy) {
  return async (url: string, options: oauth.CustomFetchOptions<string, unknown>): Promise<Response> => {
    const headers = { ...(options.headers as Record<string, string>) };
    const body = options.body;
    const form = body instanceof URLSearchParams ? Object.fromEntries(body) : undefined;
    const entry: RecordedExchange = {
      label: log.some((e) => e.label === label) ? `${label} (again)` : label,
      request: {
        method: options.method,
        url,
        headers: maskHeaders(headers),
        body: form ? maskForm(form) : typeof body === 'string' ? body : undefined,
      },
      form,
    };
    log.push(entry);
    // The browser's own word that connect-src blocked this request (oauth4webapi follows no
    // redirects, so the blocked URL is the request's own); reports about other requests don't count.
    const blocked: string[] = [];
    const target = new URL(url).origin;
    const onViolation = (event: Event) => {
      const violation = event as SecurityPolicyViolationEvent;
      if (violation.effectiveDirective !== 'connect-src') return;
      const origin = URL.canParse(violation.blockedURI) ? new URL(violation.blockedURI).origin : undefined;
      if (origin === target) blocked.push(origin);
    };
    const page = (globalThis as { document?: EventTarget }).document;
    page?.addEventListener('securitypolicyviolation', onViolation);
    try {
      const response = await fetch(url, options as RequestInit);
      const text = await response.clone().text();
      entry.response = {
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: maskBody(text),
      };
      return response;
    } catch (err) {
      let failure: TransportFailure;
      if (isTimeout(err)) failure = 'timeout';
      else if (err instanceof TypeError) {
        // Violation events are queued tasks: let them arrive before deciding whether to probe.
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (blocked.length) failure = 'csp_blocked';
        else failure = (await answers(url)) ? 'cors_blocked' : 'network_error';
      } else throw err;
      entry.failure = failure;
      const appOrigin = connect?.appOrigin ?? (globalThis as { location?: Location }).location?.origin ?? 'this page';
      throw new StepProblemError(
        {
          code: failure,
          message: transportMessage(failure, url, appOrigin, {
            blocked: blocked[0],
            carriesCode: form?.grant_type === 'authorization_code',
          }),
          endpoint: url,
          field: failure === 'csp_blocked' ? 'INSPECT_CONNECT_ORIGINS' : undefined,
        },
        { cause: err },
      );
    } finally {
      page?.removeEventListener('securitypolicyviolation', onViolation);
    }
  };
}

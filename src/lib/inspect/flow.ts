import * as oauth from 'oauth4webapi';
import { dpopKeyPair, requireDpopHandle, supportsDpop, withNonceRetry } from '../oauth/dpop.js';
import { assertSecureEndpoint } from '../oauth/endpoints.js';
import { isTimeout, requestOptions } from '../base/http.js';
import { isFieldpassError } from '../base/errors.js';
import type { CoreRuntime } from '../oauth/runtime.js';
import type { Profile } from './profiles.js';
import { SECRET_FIELDS, maskMembers, maskToken } from '../base/mask.js';
import type { ProcessingFailure } from './explain.js';

/**
 * The inspector's step-by-step authorization-code flow: every protocol step is oauth4webapi's,
 * and every HTTP exchange is recorded as sent and received so the page can show it. Its attempts
 * and keys are its own (`inspect:` records, a `key:inspect-dpop:…` key), apart from the app's
 * session; the tokens it gets live only in the page's memory.
 */

/**
 * What the server has (RFC 8414 §2), as the inspector shows and uses it. `issuer` is absent when
 * the endpoints were entered by hand without one: then no `iss` is compared with anything.
 */
export type InspectedServer = Partial<oauth.AuthorizationServer> & {
  authorization_endpoint: string;
  token_endpoint: string;
};

/**
 * What the inspector's page may connect to: its Content-Security-Policy connect-src, as the
 * server builds it (the configured servers and INSPECT_CONNECT_ORIGINS), and the page's own origin.
 */
export interface ConnectPolicy {
  appOrigin: string;
  origins: readonly string[];
}

/**
 * The issuer oauth4webapi is given when none was entered: not an https URL, so it never equals an
 * `iss` a server sends (RFC 8414 §2), and any issuer comparison the library makes fails, never passes.
 */
const NO_ISSUER = 'urn:fieldpass:inspector:no-issuer-entered';

/** `server` as oauth4webapi takes it: it requires an issuer (see NO_ISSUER). */
function libraryServer(server: InspectedServer): oauth.AuthorizationServer & InspectedServer {
  return { ...server, issuer: server.issuer ?? NO_ISSUER };
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

/**
 * The outcome of one step: what was exchanged, and either the OAuth error the server answered
 * (or the check its answer failed) or a problem that is no answer at all.
 */
export interface StepResult<T> {
  exchanges: RecordedExchange[];
  value?: T;
  error?: {
    code: string;
    description?: string;
    status?: number;
    message: string;
    /** The parameters of the WWW-Authenticate challenge, as oauth4webapi parsed it (RFC 6750 §3). */
    challenge?: Partial<Record<string, string>>;
    /** For `invalid_response`: what oauth4webapi found wrong with the answer. */
    processing?: ProcessingFailure;
  };
  problem?: StepProblem;
}

/** One check of the callback: passed, failed, or not checked (with the reason in `detail`). */
export interface CallbackCheck {
  name: string;
  outcome: 'passed' | 'failed' | 'not checked';
  detail: string;
}

/** A started attempt, kept in IndexedDB until its callback arrives. */
export interface InspectionAttempt {
  state: string;
  code_verifier: string;
  code_challenge: string;
  nonce?: string;
  server: InspectedServer;
  client_id: string;
  redirect_uri: string;
  scope: string;
  dpop_key?: string;
  created_at: number;
  profile_name: string;
}

/** Where attempts are kept; the rest of the key is the `state`. */
export const INSPECT_PREFIX = 'inspect:';
/** Where an attempt's DPoP key is kept; the rest of the key is the `state`. */
export const INSPECT_KEY_PREFIX = 'key:inspect-dpop:';

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

function formProblem(message: string, field?: string): StepProblemError {
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

function assertConnectable(endpoint: string | URL, connect: ConnectPolicy | undefined): void {
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

function options(log: RecordedExchange[], label: string, endpoint: string, connect?: ConnectPolicy) {
  return requestOptions({ fetch: recordingFetch(log, label, connect), timeoutMs: 15_000 }, endpoint);
}

/**
 * Sorts what the server answered, or the check its answer failed, into an OAuth error code the
 * explainer knows. Problems that are no answer (`StepProblemError`) never come here.
 */
export function errorOf(err: unknown): NonNullable<StepResult<unknown>['error']> {
  if (err instanceof oauth.ResponseBodyError) {
    return { code: err.error, description: err.error_description, status: err.status, message: err.message };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const p = err.cause[0]?.parameters ?? {};
    return {
      code: p.error ?? 'invalid_token',
      description: p.error_description,
      status: err.status,
      message: err.message,
      challenge: { ...p },
    };
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return { code: err.error, description: err.error_description ?? undefined, message: err.message };
  }
  const status = ((err as { cause?: unknown })?.cause as Response | undefined)?.status;
  const message = (err as Error)?.message ?? String(err);
  return { code: 'invalid_response', status, message, processing: processingOf(err, message) };
}

/** oauth4webapi's code for a refused answer, and the attribute or claim it compared. */
function processingOf(err: unknown, message: string): ProcessingFailure | undefined {
  if (!(err instanceof oauth.OperationProcessingError)) return undefined;
  const cause = err.cause as { attribute?: unknown; claim?: unknown } | undefined;
  const compared = cause?.attribute ?? cause?.claim;
  // The callback's iss check names the parameter only in its message.
  const attribute = typeof compared === 'string' ? compared : /"iss" \(issuer\)/.test(message) ? 'iss' : undefined;
  return { code: err.code, ...(attribute ? { attribute } : {}) };
}

/**
 * What stopped a step, when it is not the server's answer: a `StepProblemError`, an endpoint that
 * is malformed or plain http off loopback, or an argument oauth4webapi refused before sending.
 */
function problemOf(err: unknown): StepProblem | undefined {
  if (err instanceof StepProblemError) return err.problem;
  if (isFieldpassError(err, 'CONFIG_INVALID') || isFieldpassError(err, 'INSECURE_ENDPOINT')) {
    return { code: 'form', message: err.message, field: err.details?.variable };
  }
  // oauth4webapi's own checks of its arguments, before any request (a missing value, say).
  if (err instanceof TypeError) return { code: 'form', message: `Nothing was sent: ${err.message}.` };
  return undefined;
}

async function step<T>(log: RecordedExchange[], work: () => Promise<T>): Promise<StepResult<T>> {
  try {
    return { exchanges: log, value: await work() };
  } catch (err) {
    const problem = problemOf(err);
    return problem ? { exchanges: log, problem } : { exchanges: log, error: errorOf(err) };
  }
}

const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'userinfo_endpoint',
  'pushed_authorization_request_endpoint',
] as const;

/** Whether the scopes ask for an ID token (OpenID Connect Core §3.1.2.1). */
function asksForIdToken(scopes: readonly string[]): boolean {
  return scopes.includes('openid');
}

const OPENID_NEEDS_ISSUER =
  'Enter the issuer: with the openid scope the server sends an ID token, whose iss must equal the issuer (OpenID Connect Core §3.1.3.7). Or remove openid from the scopes.';

/**
 * The server's metadata: by discovery from the profile's issuer (RFC 8414 §3, OpenID Connect
 * Discovery first), or from the endpoints entered by hand, which win over discovered ones. With
 * the authorization and token endpoints entered by hand no issuer is needed, unless `openid` is
 * asked for; without one, no `iss` is compared. Form mistakes and a target outside `connect` are
 * a `problem`, found before any request.
 */
export async function discoverServer(profile: Profile, connect?: ConnectPolicy): Promise<StepResult<InspectedServer>> {
  const log: RecordedExchange[] = [];
  return step(log, async () => {
    const issuer = profile.issuer?.trim() ? profile.issuer : undefined;
    const byHand = Object.fromEntries(
      Object.entries(profile.endpoints ?? {}).filter(([, value]) => typeof value === 'string' && value.trim() !== ''),
    ) as Partial<Record<(typeof ENDPOINT_FIELDS)[number], string>>;
    if (!issuer && !byHand.authorization_endpoint && !byHand.token_endpoint) {
      throw formProblem(
        'Enter the issuer, to read the server’s metadata (discovery), or the authorization and token endpoints by hand.',
        'issuer',
      );
    }
    if (!issuer && asksForIdToken(profile.scopes)) throw formProblem(OPENID_NEEDS_ISSUER, 'issuer');
    for (const name of ENDPOINT_FIELDS) if (byHand[name]) assertSecureEndpoint(byHand[name], name);
    let metadata: Partial<InspectedServer> = {};
    if (issuer && !byHand.authorization_endpoint) {
      const issuerUrl = assertSecureEndpoint(issuer, 'issuer');
      assertConnectable(issuerUrl, connect);
      let lastError: unknown;
      for (const algorithm of ['oidc', 'oauth2'] as const) {
        try {
          const response = await oauth.discoveryRequest(issuerUrl, {
            ...options(log, 'Discovery', issuerUrl.href, connect),
            algorithm,
          });
          metadata = await oauth.processDiscoveryResponse(issuerUrl, response);
          lastError = undefined;
          break;
        } catch (err) {
          lastError = err;
        }
      }
      if (lastError) throw lastError;
    }
    const merged: Partial<InspectedServer> = { ...metadata, ...byHand, issuer: metadata.issuer ?? issuer };
    for (const name of ['authorization_endpoint', 'token_endpoint'] as const) {
      if (!merged[name]) {
        throw formProblem(
          issuer && !byHand.authorization_endpoint
            ? `The server’s metadata has no ${name}: enter it by hand.`
            : `Enter the ${name} by hand as well.`,
          name,
        );
      }
    }
    // What the server's metadata names (entered ones were checked above) is its answer, failing a check.
    for (const name of ENDPOINT_FIELDS) {
      const value = merged[name];
      if (!value || byHand[name]) continue;
      try {
        assertSecureEndpoint(value, name);
      } catch (err) {
        throw new Error(`The server’s metadata: ${(err as Error).message}`, { cause: err });
      }
    }
    return merged as InspectedServer;
  });
}

/** One parameter of the authorization request, with what it is for. */
export interface ExplainedParameter {
  name: string;
  value: string;
  meaning: string;
}

const MEANINGS: Record<string, string> = {
  response_type: '"code": the authorization-code flow (RFC 6749 §4.1.1).',
  client_id: 'Who is asking: the client registered at the server (RFC 6749 §2.2).',
  redirect_uri: 'Where the server sends the answer. It must equal a registered URI exactly (RFC 6749 §3.1.2).',
  scope: 'What access is asked for (RFC 6749 §3.3). The server may grant less.',
  state:
    'A one-time random value the callback must bring back unchanged: it ties the answer to this attempt (RFC 6749 §10.12).',
  code_challenge:
    'SHA-256 of the code verifier (PKCE, RFC 7636 §4.2); the verifier itself is sent only to the token endpoint.',
  code_challenge_method: '"S256": the challenge is a SHA-256 hash, not the verifier in plain text (RFC 7636 §4.3).',
  nonce: 'A one-time value the ID token must carry, against replayed ID tokens (OpenID Connect Core §3.1.2.1).',
  dpop_jkt: 'The thumbprint of the DPoP key the tokens will be bound to (RFC 9449 §10).',
};

/**
 * Builds the authorization request (RFC 6749 §4.1.1) with PKCE S256 (RFC 7636), `state`, a `nonce`
 * with `openid`, and `dpop_jkt` when the server takes DPoP; stores the attempt for the callback.
 * Throws a `StepProblemError` (nothing stored) when `openid` is asked of a server with no issuer.
 */
export async function startInspection(
  profile: Profile,
  server: InspectedServer,
  runtime: CoreRuntime,
): Promise<{ url: URL; parameters: ExplainedParameter[]; attempt: InspectionAttempt }> {
  if (!server.issuer && asksForIdToken(profile.scopes)) throw formProblem(OPENID_NEEDS_ISSUER, 'issuer');
  const state = oauth.generateRandomState();
  const code_verifier = oauth.generateRandomCodeVerifier();
  const code_challenge = await oauth.calculatePKCECodeChallenge(code_verifier);
  const scope = profile.scopes.join(' ');
  // A new inspection voids earlier ones, their verifiers and keys (as a new sign-in does).
  for (const key of await runtime.store.keys()) {
    if (key.startsWith(INSPECT_PREFIX) || key.startsWith(INSPECT_KEY_PREFIX)) await runtime.store.del(key);
  }
  const dpop_key = supportsDpop(libraryServer(server)) ? INSPECT_KEY_PREFIX + state : undefined;
  const attempt: InspectionAttempt = {
    state,
    code_verifier,
    code_challenge,
    nonce: asksForIdToken(profile.scopes) ? oauth.generateRandomNonce() : undefined,
    server,
    client_id: profile.clientId ?? '',
    redirect_uri: profile.redirectUri ?? '',
    scope,
    dpop_key,
    created_at: Date.now(),
    profile_name: profile.name,
  };
  const values: [string, string | undefined][] = [
    ['response_type', 'code'],
    ['client_id', attempt.client_id],
    ['redirect_uri', attempt.redirect_uri],
    ['scope', scope || undefined],
    ['state', state],
    ['code_challenge', code_challenge],
    ['code_challenge_method', 'S256'],
    ['nonce', attempt.nonce],
  ];
  if (dpop_key) {
    const pair = await dpopKeyPair(runtime, dpop_key, true);
    values.push(['dpop_jkt', await oauth.DPoP({}, pair).calculateThumbprint()]);
  }
  const url = new URL(server.authorization_endpoint);
  const parameters: ExplainedParameter[] = [];
  for (const [name, value] of values) {
    if (value === undefined) continue;
    url.searchParams.set(name, value);
    parameters.push({ name, value, meaning: MEANINGS[name] ?? '' });
  }
  await runtime.store.set(INSPECT_PREFIX + state, attempt);
  return { url, parameters, attempt };
}

/** The callback's parameters as received (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207). */
export interface ReceivedCallback {
  params: Record<'code' | 'state' | 'iss' | 'error' | 'error_description' | 'error_uri', string[]>;
  attempt?: InspectionAttempt;
  checks: CallbackCheck[];
  /** The parameters oauth4webapi accepted, when every check passed. */
  validated?: URLSearchParams;
  error?: NonNullable<StepResult<unknown>['error']>;
}

const CALLBACK_PARAMS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri'] as const;

const outcomeOf = (passed: boolean): CallbackCheck['outcome'] => (passed ? 'passed' : 'failed');

/**
 * The RFC 9207 check. `iss` absent from a server that does not promise it, or sent when no issuer
 * was entered, is shown as not checked: there is nothing to compare, which is not a pass.
 */
function issCheck(iss: string[], server: InspectedServer): CallbackCheck {
  const name = 'iss names the expected server (RFC 9207)';
  if (iss.length > 1) return { name, outcome: 'failed', detail: 'iss appears more than once.' };
  if (iss.length === 0) {
    return server.authorization_response_iss_parameter_supported
      ? { name, outcome: 'failed', detail: 'Not sent, although the server’s metadata promises it.' }
      : { name, outcome: 'not checked', detail: 'Not sent; the server does not promise it.' };
  }
  if (!server.issuer) {
    return {
      name,
      outcome: 'not checked',
      detail: `The server sent iss "${iss[0]}"; shown, not compared: no issuer was entered. Enter the issuer to have it compared.`,
    };
  }
  return {
    name,
    outcome: outcomeOf(iss[0] === server.issuer),
    detail: `iss is "${iss[0]}", expected "${server.issuer}".`,
  };
}

/**
 * Reads a callback: finds its attempt by `state`, shows each check, then lets oauth4webapi's
 * `validateAuthResponse` decide (state, `iss`, error responses, repeated parameters).
 */
export async function readCallback(href: string, runtime: CoreRuntime, now = Date.now()): Promise<ReceivedCallback> {
  const search = new URL(href).searchParams;
  const params = Object.fromEntries(
    CALLBACK_PARAMS.map((name) => [name, search.getAll(name)]),
  ) as ReceivedCallback['params'];
  const state = params.state[0];
  // Taken, not read: the attempt and its code_verifier leave storage as the callback reads them;
  // the page keeps them in memory to exchange the code (and to replay it on request).
  const attempt =
    state && params.state.length === 1
      ? await runtime.store.take<InspectionAttempt>(INSPECT_PREFIX + state)
      : undefined;
  const checks: CallbackCheck[] = [
    {
      name: 'state is present, once',
      outcome: outcomeOf(params.state.length === 1),
      detail:
        params.state.length === 0
          ? 'The callback has no state.'
          : params.state.length > 1
            ? 'state appears more than once.'
            : 'One state value.',
    },
    {
      name: 'state matches an attempt started here',
      outcome: outcomeOf(attempt !== undefined),
      detail: attempt
        ? `Attempt for "${attempt.profile_name}".`
        : 'No attempt with this state was started in this browser (or it was already used).',
    },
  ];
  if (attempt) {
    checks.push({
      name: 'the attempt is fresh',
      outcome: outcomeOf(now - attempt.created_at <= 10 * 60 * 1000),
      detail: `Started ${Math.round((now - attempt.created_at) / 1000)} s ago; attempts live 10 minutes.`,
    });
    checks.push(issCheck(params.iss, attempt.server));
  }
  checks.push({
    name: 'no error in the answer',
    outcome: outcomeOf(params.error.length === 0),
    detail: params.error.length ? `error=${params.error[0]}` : 'No error parameter.',
  });
  checks.push({
    name: 'exactly one code',
    outcome: outcomeOf(params.code.length === 1),
    detail: `${params.code.length} code parameter(s).`,
  });
  const result: ReceivedCallback = { params, attempt, checks };
  if (!attempt) {
    // Whatever error the callback carries is not attributed to the server before state matched:
    // the code is Fieldpass's own, and no server was asked.
    result.error = {
      code: 'state_mismatch',
      message: 'The callback’s state matches no attempt started in this browser, so nothing was sent to the server.',
    };
    return result;
  }
  // No issuer entered: the one iss sent is shown above, not compared; oauth4webapi checks the rest.
  const validating = new URLSearchParams(search);
  if (!attempt.server.issuer && params.iss.length === 1) validating.delete('iss');
  try {
    result.validated = oauth.validateAuthResponse(
      libraryServer(attempt.server),
      { client_id: attempt.client_id },
      validating,
      attempt.state,
    );
    if (checks.some((c) => c.outcome === 'failed')) result.validated = undefined;
  } catch (err) {
    result.error = errorOf(err);
    checks.push({ name: 'oauth4webapi validateAuthResponse', outcome: 'failed', detail: (err as Error).message });
  }
  return result;
}

/** A token set the inspector holds in memory. */
export type InspectedTokens = oauth.TokenEndpointResponse;

/**
 * One recorded step whose request carries a DPoP proof from the attempt's key when it has one,
 * retried once on `use_dpop_nonce` (RFC 9449 §8, §9). An endpoint outside `connect` is a problem,
 * and nothing is sent.
 */
async function provenStep<T>(
  runtime: CoreRuntime,
  attempt: Pick<InspectionAttempt, 'dpop_key'>,
  label: string,
  endpoint: string,
  connect: ConnectPolicy | undefined,
  send: (requestOptions: ReturnType<typeof options> & { DPoP?: oauth.DPoPHandle }) => Promise<T>,
): Promise<StepResult<T>> {
  const log: RecordedExchange[] = [];
  return step(log, async () => {
    assertConnectable(endpoint, connect);
    // The key the tokens are to be bound to (dpop_jkt was sent): without it, no request at all.
    const DPoP = attempt.dpop_key ? await requireDpopHandle(runtime, attempt.dpop_key) : undefined;
    return withNonceRetry(() => send({ ...options(log, label, endpoint, connect), DPoP }));
  });
}

/** A step that cannot run because the server has no such endpoint: nothing is sent. */
function noEndpoint<T>(name: string): StepResult<T> {
  return {
    exchanges: [],
    problem: {
      code: 'form',
      field: name,
      message: `Nothing was sent: the server has no ${name}. Enter it by hand in the profile if the server has one, and read its metadata again.`,
    },
  };
}

/** The pushed request's answer, and the URL to go to with it. */
export interface PushedRequest {
  request_uri: string;
  expires_in: number;
  /** The authorization endpoint with `client_id` and `request_uri` only (RFC 9126 §4). */
  url: URL;
}

/**
 * Pushes the built request to the server's pushed authorization request endpoint (RFC 9126 §2),
 * recorded, as a public client: the parameters travel in the POST body rather than the address
 * bar, with a DPoP proof by the attempt's key when it has one (RFC 9449 §10.1), and the server
 * answers a `request_uri` to send the browser on with.
 */
export async function pushInspection(
  attempt: InspectionAttempt,
  parameters: ExplainedParameter[],
  runtime: CoreRuntime,
  connect?: ConnectPolicy,
): Promise<StepResult<PushedRequest>> {
  const endpoint = attempt.server.pushed_authorization_request_endpoint;
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  if (!endpoint) return noEndpoint('pushed_authorization_request_endpoint');
  return provenStep(runtime, attempt, 'Pushed authorization request', endpoint, connect, async (requestOptions) => {
    const response = await oauth.pushedAuthorizationRequest(
      server,
      client,
      oauth.None(),
      parameters.map(({ name, value }) => [name, value]),
      requestOptions,
    );
    const { request_uri, expires_in } = await oauth.processPushedAuthorizationResponse(server, client, response);
    const url = new URL(attempt.server.authorization_endpoint);
    url.searchParams.set('client_id', attempt.client_id);
    url.searchParams.set('request_uri', request_uri);
    return { request_uri, expires_in, url };
  });
}

/** Trades the code at the token endpoint (RFC 6749 §4.1.3, RFC 7636 §4.5), recorded. */
export async function exchangeCode(
  attempt: InspectionAttempt,
  validated: URLSearchParams,
  runtime: CoreRuntime,
  connect?: ConnectPolicy,
): Promise<StepResult<InspectedTokens>> {
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  const endpoint = attempt.server.token_endpoint;
  return provenStep(
    runtime,
    attempt,
    'Token request (authorization_code)',
    endpoint,
    connect,
    async (requestOptions) => {
      const response = await oauth.authorizationCodeGrantRequest(
        server,
        client,
        oauth.None(),
        validated,
        attempt.redirect_uri,
        attempt.code_verifier,
        requestOptions,
      );
      return oauth.processAuthorizationCodeResponse(server, client, response, {
        expectedNonce: attempt.nonce ?? oauth.expectNoNonce,
        requireIdToken: attempt.nonce !== undefined,
      });
    },
  );
}

/** Refreshes (RFC 6749 §6), recorded. */
export async function refreshInspected(
  attempt: InspectionAttempt,
  refreshToken: string,
  runtime: CoreRuntime,
  connect?: ConnectPolicy,
): Promise<StepResult<InspectedTokens>> {
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  const endpoint = attempt.server.token_endpoint;
  return provenStep(runtime, attempt, 'Token request (refresh_token)', endpoint, connect, async (requestOptions) => {
    const response = await oauth.refreshTokenGrantRequest(server, client, oauth.None(), refreshToken, requestOptions);
    return oauth.processRefreshTokenResponse(server, client, response);
  });
}

/** Revokes a token (RFC 7009), recorded. */
export async function revokeInspected(
  attempt: InspectionAttempt,
  token: string,
  hint: 'access_token' | 'refresh_token',
  connect?: ConnectPolicy,
): Promise<StepResult<true>> {
  const log: RecordedExchange[] = [];
  const endpoint = attempt.server.revocation_endpoint;
  if (!endpoint) return noEndpoint('revocation_endpoint');
  return step(log, async () => {
    assertConnectable(endpoint, connect);
    const response = await oauth.revocationRequest(
      libraryServer(attempt.server),
      { client_id: attempt.client_id },
      oauth.None(),
      token,
      {
        ...options(log, 'Revocation', endpoint, connect),
        additionalParameters: { token_type_hint: hint },
      },
    );
    await oauth.processRevocationResponse(response);
    return true as const;
  });
}

/** Asks the server about a token (RFC 7662), recorded. */
export async function introspectInspected(
  attempt: InspectionAttempt,
  token: string,
  connect?: ConnectPolicy,
): Promise<StepResult<oauth.IntrospectionResponse>> {
  const log: RecordedExchange[] = [];
  const endpoint = attempt.server.introspection_endpoint;
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  if (!endpoint) return noEndpoint('introspection_endpoint');
  return step(log, async () => {
    assertConnectable(endpoint, connect);
    const response = await oauth.introspectionRequest(
      server,
      client,
      oauth.None(),
      token,
      options(log, 'Introspection', endpoint, connect),
    );
    return oauth.processIntrospectionResponse(server, client, response);
  });
}

/** Calls the UserInfo endpoint (OpenID Connect Core §5.3) with the access token, recorded. */
export async function userInfoInspected(
  attempt: InspectionAttempt,
  accessToken: string,
  runtime: CoreRuntime,
  connect?: ConnectPolicy,
): Promise<StepResult<oauth.UserInfoResponse>> {
  const endpoint = attempt.server.userinfo_endpoint;
  const server = libraryServer(attempt.server);
  const client = { client_id: attempt.client_id };
  if (!endpoint) return noEndpoint('userinfo_endpoint');
  return provenStep(runtime, attempt, 'UserInfo', endpoint, connect, async (requestOptions) => {
    const response = await oauth.userInfoRequest(server, client, accessToken, requestOptions);
    return oauth.processUserInfoResponse(server, client, oauth.skipSubjectCheck, response);
  });
}

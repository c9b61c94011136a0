import * as oauth from 'oauth4webapi';
import { dpopKeyPair, requireDpopHandle, supportsDpop, withNonceRetry } from '../oauth/dpop.js';
import { assertSecureEndpoint, httpOptions } from '../oauth/endpoints.js';
import type { CoreRuntime } from '../oauth/runtime.js';
import type { Profile } from './profiles.js';
import { SECRET_FIELDS, maskToken } from './tokens.js';

/**
 * The inspector's step-by-step authorization-code flow: every protocol step is oauth4webapi's,
 * and every HTTP exchange is recorded as sent and received so the page can show it. Its attempts
 * and keys are its own (`inspect:` records, a `key:inspect-dpop:…` key), apart from the app's
 * session; the tokens it gets live only in the page's memory.
 */

/** What the server has (RFC 8414 §2), as the inspector shows and uses it. */
export type InspectedServer = oauth.AuthorizationServer & { authorization_endpoint: string; token_endpoint: string };

/** One HTTP exchange, with credentials masked for display. */
export interface RecordedExchange {
  label: string;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  /** The form fields as sent, for the copyable curl command (which masks them again). */
  form?: Record<string, string>;
  response?: { status: number; headers: Record<string, string>; body: string };
  /** A transport failure: the request never got an answer (network, CORS, timeout). */
  failure?: string;
}

/** The outcome of one step: what was exchanged, and the OAuth error when it failed. */
export interface StepResult<T> {
  exchanges: RecordedExchange[];
  value?: T;
  error?: { code: string; description?: string; status?: number; message: string };
}

/** One check of the callback, shown as passed or failed. */
export interface CallbackCheck {
  name: string;
  passed: boolean;
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
function maskDeep(value: unknown, depth = 0): unknown {
  if (depth > 32 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      typeof v === 'string' && SECRET_FIELDS.has(key) ? maskToken(v) : maskDeep(v, depth + 1),
    ]),
  );
}

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

/** A `customFetch` that records each exchange (masked) into `log` before handing the response on. */
export function recordingFetch(log: RecordedExchange[], label: string) {
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
      entry.failure = (err as Error)?.name === 'TypeError' ? 'cors_blocked' : ((err as Error)?.name ?? 'error');
      throw err;
    }
  };
}

function options(log: RecordedExchange[], label: string, endpoint: string) {
  return {
    ...httpOptions(endpoint),
    signal: () => AbortSignal.timeout(15_000),
    [oauth.customFetch]: recordingFetch(log, label),
  };
}

/**
 * Sorts what oauth4webapi threw into an OAuth error code the explainer knows. A `TypeError` is a
 * blocked or failed request only when `transportFailed` (the recorded exchange got no answer);
 * otherwise it is a mistake in the profile, reported as `invalid_request` with its message.
 */
export function errorOf(err: unknown, transportFailed = true): NonNullable<StepResult<unknown>['error']> {
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
    };
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return { code: err.error, description: err.error_description ?? undefined, message: err.message };
  }
  const name = (err as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return { code: 'timeout', message: 'The request timed out' };
  if (err instanceof TypeError) {
    return transportFailed
      ? { code: 'cors_blocked', message: err.message }
      : { code: 'invalid_request', description: err.message, message: err.message };
  }
  const status = ((err as { cause?: unknown })?.cause as Response | undefined)?.status;
  return { code: 'invalid_response', status, message: (err as Error)?.message ?? String(err) };
}

async function step<T>(log: RecordedExchange[], work: () => Promise<T>): Promise<StepResult<T>> {
  try {
    return { exchanges: log, value: await work() };
  } catch (err) {
    return { exchanges: log, error: errorOf(err, log.at(-1)?.failure !== undefined) };
  }
}

/**
 * The server's metadata: by discovery from the profile's issuer (RFC 8414 §3, OpenID Connect
 * Discovery first), or from the endpoints entered by hand, which win over discovered ones.
 */
export async function discoverServer(profile: Profile): Promise<StepResult<InspectedServer>> {
  const log: RecordedExchange[] = [];
  return step(log, async () => {
    // The callback's `iss` check (RFC 9207) and oauth4webapi both need the issuer, endpoints or not.
    if (!profile.issuer) throw new TypeError('Enter the issuer: the callback check compares iss with it');
    let metadata: oauth.AuthorizationServer = { issuer: profile.issuer };
    if (profile.issuer && !profile.endpoints?.authorization_endpoint) {
      const issuer = assertSecureEndpoint(profile.issuer, 'issuer');
      let lastError: unknown;
      for (const algorithm of ['oidc', 'oauth2'] as const) {
        try {
          const response = await oauth.discoveryRequest(issuer, {
            ...options(log, 'Discovery', issuer.href),
            algorithm,
          });
          metadata = await oauth.processDiscoveryResponse(issuer, response);
          lastError = undefined;
          break;
        } catch (err) {
          lastError = err;
        }
      }
      if (lastError) throw lastError;
    }
    const merged = { ...metadata, ...Object.fromEntries(Object.entries(profile.endpoints ?? {}).filter(([, v]) => v)) };
    if (!merged.authorization_endpoint || !merged.token_endpoint) {
      throw new TypeError('The server has no authorization_endpoint or token_endpoint: enter them by hand');
    }
    for (const name of [
      'authorization_endpoint',
      'token_endpoint',
      'revocation_endpoint',
      'introspection_endpoint',
      'userinfo_endpoint',
      'pushed_authorization_request_endpoint',
    ] as const) {
      if (merged[name]) assertSecureEndpoint(merged[name], name);
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
 */
export async function startInspection(
  profile: Profile,
  server: InspectedServer,
  runtime: CoreRuntime,
): Promise<{ url: URL; parameters: ExplainedParameter[]; attempt: InspectionAttempt }> {
  const state = oauth.generateRandomState();
  const code_verifier = oauth.generateRandomCodeVerifier();
  const code_challenge = await oauth.calculatePKCECodeChallenge(code_verifier);
  const scope = profile.scopes.join(' ');
  // A new inspection voids earlier ones, their verifiers and keys (as a new sign-in does).
  for (const key of await runtime.store.keys()) {
    if (key.startsWith(INSPECT_PREFIX) || key.startsWith(INSPECT_KEY_PREFIX)) await runtime.store.del(key);
  }
  const dpop_key = supportsDpop(server) ? INSPECT_KEY_PREFIX + state : undefined;
  const attempt: InspectionAttempt = {
    state,
    code_verifier,
    code_challenge,
    nonce: profile.scopes.includes('openid') ? oauth.generateRandomNonce() : undefined,
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
      passed: params.state.length === 1,
      detail:
        params.state.length === 0
          ? 'The callback has no state.'
          : params.state.length > 1
            ? 'state appears more than once.'
            : 'One state value.',
    },
    {
      name: 'state matches an attempt started here',
      passed: attempt !== undefined,
      detail: attempt
        ? `Attempt for "${attempt.profile_name}".`
        : 'No attempt with this state was started in this browser (or it was already used).',
    },
  ];
  if (attempt) {
    checks.push({
      name: 'the attempt is fresh',
      passed: now - attempt.created_at <= 10 * 60 * 1000,
      detail: `Started ${Math.round((now - attempt.created_at) / 1000)} s ago; attempts live 10 minutes.`,
    });
    const iss = params.iss;
    checks.push({
      name: 'iss names the expected server (RFC 9207)',
      passed:
        iss.length === 1
          ? iss[0] === attempt.server.issuer
          : iss.length === 0 && !attempt.server.authorization_response_iss_parameter_supported,
      detail:
        iss.length > 1
          ? 'iss appears more than once.'
          : iss.length === 0
            ? attempt.server.authorization_response_iss_parameter_supported
              ? 'The server promises iss but sent none.'
              : 'No iss; the server does not promise one.'
            : `iss is "${iss[0]}", expected "${attempt.server.issuer}".`,
    });
  }
  checks.push({
    name: 'no error in the answer',
    passed: params.error.length === 0,
    detail: params.error.length ? `error=${params.error[0]}` : 'No error parameter.',
  });
  checks.push({
    name: 'exactly one code',
    passed: params.code.length === 1,
    detail: `${params.code.length} code parameter(s).`,
  });
  const result: ReceivedCallback = { params, attempt, checks };
  if (!attempt) {
    // Whatever error the callback carries is not attributed to the server before state matched (#24).
    result.error = {
      code: 'invalid_request',
      description: 'The callback does not answer an attempt started in this browser.',
      message: 'No matching attempt',
    };
    return result;
  }
  try {
    result.validated = oauth.validateAuthResponse(
      attempt.server,
      { client_id: attempt.client_id },
      search,
      attempt.state,
    );
    if (!checks.every((c) => c.passed)) result.validated = undefined;
  } catch (err) {
    result.error = errorOf(err);
    checks.push({ name: 'oauth4webapi validateAuthResponse', passed: false, detail: (err as Error).message });
  }
  return result;
}

/** A token set the inspector holds in memory. */
export type InspectedTokens = oauth.TokenEndpointResponse;

/**
 * One recorded step whose request carries a DPoP proof from the attempt's key when it has one,
 * retried once on `use_dpop_nonce` (RFC 9449 §8, §9).
 */
async function provenStep<T>(
  runtime: CoreRuntime,
  attempt: Pick<InspectionAttempt, 'dpop_key'>,
  label: string,
  endpoint: string,
  send: (requestOptions: ReturnType<typeof options> & { DPoP?: oauth.DPoPHandle }) => Promise<T>,
): Promise<StepResult<T>> {
  const log: RecordedExchange[] = [];
  return step(log, async () => {
    // The key the tokens are to be bound to (dpop_jkt was sent): without it, no request at all.
    const DPoP = attempt.dpop_key ? await requireDpopHandle(runtime, attempt.dpop_key) : undefined;
    return withNonceRetry(() => send({ ...options(log, label, endpoint), DPoP }));
  });
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
): Promise<StepResult<PushedRequest>> {
  const endpoint = attempt.server.pushed_authorization_request_endpoint;
  const client = { client_id: attempt.client_id };
  if (!endpoint) {
    return {
      exchanges: [],
      error: errorOf(new TypeError('The server has no pushed_authorization_request_endpoint'), false),
    };
  }
  return provenStep(runtime, attempt, 'Pushed authorization request', endpoint, async (requestOptions) => {
    const response = await oauth.pushedAuthorizationRequest(
      attempt.server,
      client,
      oauth.None(),
      parameters.map(({ name, value }) => [name, value]),
      requestOptions,
    );
    const { request_uri, expires_in } = await oauth.processPushedAuthorizationResponse(
      attempt.server,
      client,
      response,
    );
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
): Promise<StepResult<InspectedTokens>> {
  const client = { client_id: attempt.client_id };
  const endpoint = attempt.server.token_endpoint;
  return provenStep(runtime, attempt, 'Token request (authorization_code)', endpoint, async (requestOptions) => {
    const response = await oauth.authorizationCodeGrantRequest(
      attempt.server,
      client,
      oauth.None(),
      validated,
      attempt.redirect_uri,
      attempt.code_verifier,
      requestOptions,
    );
    return oauth.processAuthorizationCodeResponse(attempt.server, client, response, {
      expectedNonce: attempt.nonce ?? oauth.expectNoNonce,
      requireIdToken: attempt.nonce !== undefined,
    });
  });
}

/** Refreshes (RFC 6749 §6), recorded. */
export async function refreshInspected(
  attempt: InspectionAttempt,
  refreshToken: string,
  runtime: CoreRuntime,
): Promise<StepResult<InspectedTokens>> {
  const client = { client_id: attempt.client_id };
  const endpoint = attempt.server.token_endpoint;
  return provenStep(runtime, attempt, 'Token request (refresh_token)', endpoint, async (requestOptions) => {
    const response = await oauth.refreshTokenGrantRequest(
      attempt.server,
      client,
      oauth.None(),
      refreshToken,
      requestOptions,
    );
    return oauth.processRefreshTokenResponse(attempt.server, client, response);
  });
}

/** Revokes a token (RFC 7009), recorded. */
export async function revokeInspected(
  attempt: InspectionAttempt,
  token: string,
  hint: 'access_token' | 'refresh_token',
): Promise<StepResult<true>> {
  const log: RecordedExchange[] = [];
  const endpoint = attempt.server.revocation_endpoint;
  return step(log, async () => {
    if (!endpoint) throw new TypeError('The server has no revocation_endpoint');
    const response = await oauth.revocationRequest(
      attempt.server,
      { client_id: attempt.client_id },
      oauth.None(),
      token,
      {
        ...options(log, 'Revocation', endpoint),
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
): Promise<StepResult<oauth.IntrospectionResponse>> {
  const log: RecordedExchange[] = [];
  const endpoint = attempt.server.introspection_endpoint;
  return step(log, async () => {
    if (!endpoint) throw new TypeError('The server has no introspection_endpoint');
    const response = await oauth.introspectionRequest(
      attempt.server,
      { client_id: attempt.client_id },
      oauth.None(),
      token,
      options(log, 'Introspection', endpoint),
    );
    return oauth.processIntrospectionResponse(attempt.server, { client_id: attempt.client_id }, response);
  });
}

/** Calls the UserInfo endpoint (OpenID Connect Core §5.3) with the access token, recorded. */
export async function userInfoInspected(
  attempt: InspectionAttempt,
  accessToken: string,
  runtime: CoreRuntime,
): Promise<StepResult<oauth.UserInfoResponse>> {
  const endpoint = attempt.server.userinfo_endpoint;
  const client = { client_id: attempt.client_id };
  if (!endpoint) return { exchanges: [], error: errorOf(new TypeError('The server has no userinfo_endpoint'), false) };
  return provenStep(runtime, attempt, 'UserInfo', endpoint, async (requestOptions) => {
    const response = await oauth.userInfoRequest(attempt.server, client, accessToken, requestOptions);
    return oauth.processUserInfoResponse(attempt.server, client, oauth.skipSubjectCheck, response);
  });
}

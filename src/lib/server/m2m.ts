import * as oauth from 'oauth4webapi';
import { httpOptions } from '../oauth/endpoints.js';
import type { FetchLike } from '../oauth/runtime.js';
import type { M2mProvider } from './m2m-config.js';
import { m2mTokenCacheHits, m2mTokenRequests, m2mUpstreamSeconds } from './metrics.js';

/** What the route tells its caller when a call cannot be made; never carries a secret or a token. */
export type M2mErrorCode =
  | 'bad_request'
  | 'not_allowed'
  | 'unknown_provider'
  | 'upstream_auth_failed'
  | 'upstream_forbidden'
  | 'upstream_rejected'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'rate_limited';

const MESSAGES: Record<M2mErrorCode, string> = {
  bad_request: 'That path is not a plain path on the provider.',
  not_allowed: 'That operation is not on this provider’s allow-list.',
  unknown_provider: 'No provider of that name is configured.',
  upstream_auth_failed:
    'The provider refused the service credential: check the client id, secret and scope format in the server configuration.',
  upstream_forbidden: 'The credential lacks permission for this resource.',
  upstream_rejected: 'The provider refused the request; check the path and the request body.',
  upstream_unavailable: 'The provider could not be reached or answered with an error.',
  upstream_timeout: 'The provider took too long to answer.',
  rate_limited: 'The provider is limiting requests; try again after the time given in Retry-After.',
};

const STATUS: Record<M2mErrorCode, number> = {
  bad_request: 400,
  not_allowed: 403,
  unknown_provider: 404,
  upstream_auth_failed: 502,
  upstream_forbidden: 403,
  upstream_rejected: 400,
  upstream_unavailable: 502,
  upstream_timeout: 504,
  rate_limited: 503,
};

/** A failure of the route, with the HTTP status and message for the caller. */
export class M2mError extends Error {
  readonly code: M2mErrorCode;
  readonly status: number;
  /** Seconds until the caller may try again (429/503). */
  readonly retryAfter?: number;

  constructor(code: M2mErrorCode, options: { retryAfter?: number; status?: number; cause?: unknown } = {}) {
    super(MESSAGES[code], { cause: options.cause });
    this.code = code;
    this.status = options.status ?? STATUS[code];
    this.retryAfter = options.retryAfter;
  }
}

/** The upstream answer the route passes on: status and parsed JSON body only, no upstream headers. */
export interface M2mResult {
  status: number;
  body: unknown;
}

interface ProviderState {
  token?: { value: string; expiresAt: number };
  inflight?: Promise<string>;
  /** While the token endpoint asked us to wait (429/503), or after it failed, no token request is made. */
  blockedUntil?: number;
  /** What callers are told while blocked. */
  blockedCode?: 'rate_limited' | 'upstream_unavailable';
  /** Token requests that failed in a row, for the back-off. */
  failures: number;
  /** While the upstream API asked us to wait (429/503), no call is passed on. */
  upstreamBlockedUntil?: number;
  tokenRequests: number;
}

/** Without `expires_in`, a service token is reused for this long (RFC 6749 §5.1 makes it optional). */
const DEFAULT_TOKEN_SECONDS = 60;
const TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 1_048_576;

/**
 * How long before expiry a cached token is replaced: 10 % of its life, at most a minute, so a
 * 900 s Fenergo token is used for 840 s and a 24 h Fenris token for 23 h 59 min.
 */
export function tokenMargin(lifetimeSeconds: number): number {
  return Math.min(60_000, lifetimeSeconds * 100);
}

/**
 * Resolves what the caller asked for to a URL on the provider's base URL, or refuses it: only
 * plain paths (no `..`, `//`, backslashes, encoded slashes or dots, `@` or `:`), and only
 * method + path-prefix pairs on the provider's allow-list (checklist #85).
 */
export function resolveOperation(provider: M2mProvider, method: string, rawPath: string, search = ''): URL {
  if (!/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(rawPath) || /(^|\/)\.{1,2}(\/|$)/.test(rawPath)) {
    throw new M2mError('bad_request');
  }
  const path = rawPath.replace(/\/$/, '');
  const allowed = provider.allow.some(
    (op) => op.method === method && (path === op.prefix || path.startsWith(op.prefix === '/' ? '/' : `${op.prefix}/`)),
  );
  if (!allowed) throw new M2mError('not_allowed');
  const url = new URL(provider.apiBaseUrl + path);
  // Only a plain query string is passed on; anything else is refused, not silently dropped. Encoded
  // slashes, backslashes, colons and at-signs could smuggle a URL to an upstream that follows one.
  if (search && search !== '?') {
    if (!/^\?[A-Za-z0-9._~\-=&%+,]*$/.test(search) || /%(2f|5c|3a|40)/i.test(search)) throw new M2mError('bad_request');
    url.search = search;
  }
  return url;
}

/** The longest back-off the route accepts from a server, so a bad header cannot block it for years. */
const MAX_RETRY_AFTER_SECONDS = 300;

/** `Retry-After` (seconds or HTTP date, RFC 9110 §10.2.3), else `X-RateLimit-Reset`; 1 s to 5 min. */
function retryAfterSeconds(headers: Headers, now: number): number | undefined {
  const clamp = (seconds: number) => Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)));
  const value = headers.get('retry-after');
  if (value) {
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return clamp(seconds);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return clamp((date - now) / 1000);
  }
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (headers.has('x-ratelimit-reset') && Number.isFinite(reset)) return clamp(reset - now / 1000);
  return undefined;
}

function transportError(err: unknown): M2mError {
  const name = (err as { name?: string })?.name;
  return new M2mError(name === 'TimeoutError' || name === 'AbortError' ? 'upstream_timeout' : 'upstream_unavailable', {
    cause: err,
  });
}

/** Dependencies the tests replace. */
/** A client-credentials token request that was answered, and how to read its answer. */
export interface ClientCredentialsGrant {
  response: Response;
  /** Validates the answer (oauth4webapi); throws on an error response. */
  process(): Promise<oauth.TokenEndpointResponse>;
}

/**
 * Sends one client-credentials token request (RFC 6749 §4.4) with the provider's client
 * authentication: the secret in the form body or as HTTP Basic (RFC 6749 §2.3.1).
 */
export async function requestClientCredentials(
  auth: Extract<M2mProvider['auth'], { mode: 'client_credentials' }>,
  fetch?: FetchLike,
): Promise<ClientCredentialsGrant> {
  const { tokenUrl, clientId, clientSecret, method, scope } = auth;
  const as: oauth.AuthorizationServer = { issuer: new URL(tokenUrl).origin, token_endpoint: tokenUrl };
  const client: oauth.Client = { client_id: clientId };
  const clientAuth =
    method === 'client_secret_post' ? oauth.ClientSecretPost(clientSecret) : oauth.ClientSecretBasic(clientSecret);
  const response = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, scope ? { scope } : {}, {
    ...httpOptions(tokenUrl),
    signal: () => AbortSignal.timeout(TIMEOUT_MS),
    ...(fetch ? { [oauth.customFetch]: fetch } : {}),
  });
  return { response, process: () => oauth.processClientCredentialsResponse(as, client, response) };
}

export interface M2mDeps {
  fetch?: FetchLike;
  now?: () => number;
}

/**
 * The machine-to-machine client: gets service tokens with the client-credentials grant
 * (RFC 6749 §4.4, by oauth4webapi), caches each for its lifetime less a margin, shares one token
 * request among concurrent callers, re-fetches once on an upstream 401, and honours 429s.
 */
export function createM2mClient(providers: readonly M2mProvider[], deps: M2mDeps = {}) {
  const now = () => deps.now?.() ?? Date.now();
  const byName = new Map(providers.map((p) => [p.name, p]));
  const states = new Map(providers.map((p) => [p.name, { tokenRequests: 0, failures: 0 } as ProviderState]));

  /** After a failed token request: wait 1 s, 2 s, 4 s … up to 60 s, with jitter, before the next. */
  function backOff(state: ProviderState, err: M2mError): M2mError {
    state.failures += 1;
    const ms = Math.min(60_000, 1000 * 2 ** (state.failures - 1)) * (0.5 + Math.random() / 2);
    state.blockedUntil = now() + ms;
    state.blockedCode = 'upstream_unavailable';
    return err;
  }

  async function requestToken(provider: M2mProvider, state: ProviderState): Promise<string> {
    if (provider.auth.mode !== 'client_credentials') throw new Error('not a client-credentials provider');
    state.tokenRequests += 1;
    m2mTokenRequests.inc({ provider: provider.name });
    let grant: ClientCredentialsGrant;
    try {
      grant = await requestClientCredentials(provider.auth, deps.fetch);
    } catch (err) {
      throw backOff(state, transportError(err));
    }
    const { response } = grant;
    if (response.status === 429 || response.status === 503) {
      const retryAfter = retryAfterSeconds(response.headers, now()) ?? 30;
      state.blockedUntil = now() + retryAfter * 1000;
      state.blockedCode = 'rate_limited';
      throw new M2mError('rate_limited', { retryAfter });
    }
    let tokens: oauth.TokenEndpointResponse;
    try {
      tokens = await grant.process();
    } catch (err) {
      const refused = response.status === 400 || response.status === 401;
      throw backOff(state, new M2mError(refused ? 'upstream_auth_failed' : 'upstream_unavailable', { cause: err }));
    }
    state.failures = 0;
    // expires_in 0 means the token must not be reused; a missing one gets the short default.
    const lifetime =
      typeof tokens.expires_in === 'number' && tokens.expires_in >= 0 ? tokens.expires_in : DEFAULT_TOKEN_SECONDS;
    state.token = { value: tokens.access_token, expiresAt: now() + lifetime * 1000 - tokenMargin(lifetime) };
    return tokens.access_token;
  }

  /**
   * The cached token, or one new token request shared by everyone who asks meanwhile. `refused` is
   * a token the upstream just answered 401 to: it is replaced unless someone already replaced it.
   */
  function serviceToken(provider: M2mProvider, state: ProviderState, refused?: string): Promise<string> {
    const usable = state.token && now() < state.token.expiresAt && state.token.value !== refused;
    if (usable) {
      m2mTokenCacheHits.inc({ provider: provider.name });
      return Promise.resolve(state.token!.value);
    }
    if (state.inflight) return state.inflight;
    if (state.blockedUntil && now() < state.blockedUntil) {
      const retryAfter = Math.max(1, Math.ceil((state.blockedUntil - now()) / 1000));
      return Promise.reject(new M2mError(state.blockedCode ?? 'rate_limited', { status: 503, retryAfter }));
    }
    state.token = undefined;
    state.inflight = requestToken(provider, state).finally(() => {
      state.inflight = undefined;
    });
    return state.inflight;
  }

  async function send(provider: M2mProvider, url: URL, method: string, body: string | undefined, token?: string) {
    const headers = new Headers({ accept: 'application/json' });
    if (body !== undefined) headers.set('content-type', 'application/json');
    if (provider.tenantId) headers.set('x-tenant-id', provider.tenantId);
    const options = {
      ...httpOptions(url),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      ...(deps.fetch ? { [oauth.customFetch]: deps.fetch } : {}),
    };
    try {
      if (token !== undefined) {
        // Challenges are read below from the status; oauth4webapi's throw on them is not wanted here.
        return await oauth.protectedResourceRequest(token, method, url, headers, body, options).catch((err) => {
          if (err instanceof oauth.WWWAuthenticateChallengeError) return err.response;
          throw err;
        });
      }
      if (provider.auth.mode === 'api_key') headers.set(provider.auth.header, provider.auth.key);
      const request = {
        method,
        headers: Object.fromEntries(headers),
        body,
        redirect: 'manual' as const,
        signal: options.signal,
      };
      return await (deps.fetch ?? (fetch as unknown as FetchLike))(url.href, request);
    } catch (err) {
      throw transportError(err);
    }
  }

  async function read(response: Response): Promise<unknown> {
    if (Number(response.headers.get('content-length')) > MAX_BODY_BYTES) throw new M2mError('upstream_unavailable');
    let bytes: ArrayBuffer;
    try {
      bytes = await response.arrayBuffer();
    } catch (err) {
      throw transportError(err);
    }
    if (bytes.byteLength > MAX_BODY_BYTES) throw new M2mError('upstream_unavailable');
    const text = new TextDecoder().decode(bytes);
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new M2mError('upstream_unavailable', { cause });
    }
  }

  return {
    /** The configured providers' names. */
    names(): string[] {
      return [...byName.keys()];
    },

    /** The provider called `name`, if configured. */
    provider(name: string): M2mProvider | undefined {
      return byName.get(name);
    },

    /** How many token requests this server has made for a provider (for diagnostics and tests). */
    tokenRequests(name: string): number {
      return states.get(name)?.tokenRequests ?? 0;
    },

    /**
     * For the inspector's client-credentials tester: the provider's service token, from the cache or
     * one new token request, and whether it came from the cache. The token itself stays here.
     */
    async tokenStatus(
      name: string,
    ): Promise<{ fromCache: boolean; token: string; expiresAt: number; tokenRequests: number }> {
      const provider = byName.get(name);
      const state = states.get(name);
      if (!provider || !state) throw new M2mError('unknown_provider');
      if (provider.auth.mode !== 'client_credentials') throw new M2mError('bad_request');
      const fromCache = this.cacheState(name).cached;
      const token = await serviceToken(provider, state);
      return { fromCache, token, expiresAt: state.token?.expiresAt ?? now(), tokenRequests: state.tokenRequests };
    },

    /** Whether a valid service token is cached for a provider, and until when. */
    cacheState(name: string): { cached: boolean; expiresAt?: number } {
      const token = states.get(name)?.token;
      return token && now() < token.expiresAt ? { cached: true, expiresAt: token.expiresAt } : { cached: false };
    },

    /** Calls an allow-listed operation on a provider and returns the upstream status and JSON body. */
    async call(
      name: string,
      request: { method: string; path: string; search?: string; body?: string },
    ): Promise<M2mResult> {
      const provider = byName.get(name);
      if (!provider) throw new M2mError('unknown_provider');
      const url = resolveOperation(provider, request.method, request.path, request.search);
      const state = states.get(name)!;
      const usesToken = provider.auth.mode === 'client_credentials';
      if (state.upstreamBlockedUntil && now() < state.upstreamBlockedUntil) {
        throw new M2mError('rate_limited', {
          status: 429,
          retryAfter: Math.ceil((state.upstreamBlockedUntil - now()) / 1000),
        });
      }

      let response: Response | undefined;
      let refused: string | undefined;
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const token = usesToken ? await serviceToken(provider, state, refused) : undefined;
        const timer = m2mUpstreamSeconds.startTimer({ provider: name });
        response = await send(provider, url, request.method, request.body, token).finally(() => timer());
        refused = token;
        // One fresh token and one retry on 401, never more (checklist #86).
        if (response.status !== 401 || !usesToken) break;
        await response.body?.cancel();
      }
      const upstream = response!;
      if (upstream.status >= 300 && upstream.status < 400) throw new M2mError('upstream_unavailable');
      if (upstream.status === 401) throw new M2mError('upstream_auth_failed');
      if (upstream.status === 403) throw new M2mError('upstream_forbidden');
      const retryAfter = retryAfterSeconds(upstream.headers, now());
      if (upstream.status === 429 || (upstream.status === 503 && retryAfter !== undefined)) {
        // Hold every caller back until then, rather than hammering the provider (checklist #88).
        const wait = retryAfter ?? 60;
        state.upstreamBlockedUntil = now() + wait * 1000;
        throw new M2mError('rate_limited', { status: upstream.status, retryAfter: wait });
      }
      if (upstream.status >= 500) throw new M2mError('upstream_unavailable');
      // Only success bodies are passed on: an upstream's error text is not the caller's business.
      if (upstream.status < 200 || upstream.status > 299) {
        await upstream.body?.cancel();
        throw new M2mError('upstream_rejected', { status: upstream.status });
      }
      return { status: upstream.status, body: await read(upstream) };
    },
  };
}

export type M2mClient = ReturnType<typeof createM2mClient>;

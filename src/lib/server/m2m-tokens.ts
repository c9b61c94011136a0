import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { backoffDelay, requestOptions, type FetchLike } from '../base/http.js';
import type { M2mProvider } from './m2m-config.js';
import { M2mError, retryAfterSeconds, transportError } from './m2m-errors.js';
import type { SharedState } from './shared/state.js';
import { m2mTokenCacheHits, m2mTokenRequests } from './metrics.js';

/** How long a token request or an upstream call may take before it is abandoned. */
export const TIMEOUT_MS = 10_000;
/** Without `expires_in`, a service token is reused for this long (RFC 6749 §5.1 makes it optional). */
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * How long before expiry a cached token is replaced: 10 % of its life, at most a minute, so a
 * 900 s Fenergo token is used for 840 s and a 24 h Fenris token for 23 h 59 min.
 */
export function tokenMargin(lifetimeSeconds: number): number {
  return Math.min(60_000, lifetimeSeconds * 100);
}

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
  const response = await oauth.clientCredentialsGrantRequest(
    as,
    client,
    clientAuth,
    scope ? { scope } : {},
    requestOptions({ fetch, timeoutMs: TIMEOUT_MS }, tokenUrl),
  );
  return { response, process: () => oauth.processClientCredentialsResponse(as, client, response) };
}

/** What the service-token source needs; the client passes its own dependencies on. */
export interface TokenDeps {
  state: SharedState;
  now: () => number;
  fetch?: FetchLike;
  /** How long one instance may hold the token-request lock before another takes over. */
  lockMs: number;
  /** How often an instance waiting for another's token request looks for its token. */
  pollMs: number;
}

/** What this process alone keeps per provider; what instances share lives in the SharedState. */
interface LocalState {
  /** This process's share of a token request, so concurrent callers here wait on one promise. */
  inflight?: Promise<string>;
  /** Token requests that failed in a row, for the back-off. */
  failures: number;
  tokenRequests: number;
}

/**
 * Where a provider's token, lock and token-request hold are kept: its name and a hash of its token
 * URL, client id and scope, so that instances configured differently (a scope changed during a
 * rolling deployment, another environment on the same Redis) never share a token.
 */
export function tokenKey(provider: M2mProvider): string {
  if (provider.auth.mode !== 'client_credentials') return provider.name;
  const { tokenUrl, clientId, scope } = provider.auth;
  const hash = createHash('sha256')
    .update(JSON.stringify([tokenUrl, clientId, scope]))
    .digest('base64url');
  return `${provider.name}:${hash.slice(0, 16)}`;
}

/** The hold on a provider's token requests (after a failure, or the token endpoint's Retry-After). */
const tokenHold = (key: string) => `token:${key}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The provider's hold on token requests, thrown as the error callers get meanwhile. */
async function throwIfHeld({ state, now }: TokenDeps, key: string): Promise<void> {
  const hold = await state.getHold(tokenHold(key));
  if (!hold || now() >= hold.until) return;
  const retryAfter = Math.max(1, Math.ceil((hold.until - now()) / 1000));
  const code = hold.code === 'upstream_unavailable' ? 'upstream_unavailable' : 'rate_limited';
  throw new M2mError(code, { status: 503, retryAfter });
}

/** After a failed token request: wait 1 s, 2 s, 4 s … up to 60 s, with jitter, before the next. */
async function backOff({ state, now }: TokenDeps, local: LocalState, key: string, err: M2mError): Promise<M2mError> {
  local.failures += 1;
  const ms = backoffDelay(local.failures, 1000, 60_000);
  await state.setHold(tokenHold(key), { until: now() + ms, code: 'upstream_unavailable' });
  return err;
}

/** One token request, as the holder of the lock `fence`; the token is cached unless the lock was lost. */
async function requestToken(deps: TokenDeps, local: LocalState, provider: M2mProvider, fence: number): Promise<string> {
  const { state, now } = deps;
  if (provider.auth.mode !== 'client_credentials') throw new Error('not a client-credentials provider');
  const key = tokenKey(provider);
  local.tokenRequests += 1;
  m2mTokenRequests.inc({ provider: provider.name });
  let grant: ClientCredentialsGrant;
  try {
    grant = await requestClientCredentials(provider.auth, deps.fetch);
  } catch (err) {
    throw await backOff(deps, local, key, transportError(err));
  }
  const { response } = grant;
  if (response.status === 429 || response.status === 503) {
    const retryAfter = retryAfterSeconds(response.headers, now()) ?? 30;
    await state.setHold(tokenHold(key), { until: now() + retryAfter * 1000, code: 'rate_limited' });
    throw new M2mError('rate_limited', { retryAfter });
  }
  let tokens: oauth.TokenEndpointResponse;
  try {
    tokens = await grant.process();
  } catch (err) {
    const refused = response.status === 400 || response.status === 401;
    const code = refused ? 'upstream_auth_failed' : 'upstream_unavailable';
    throw await backOff(deps, local, key, new M2mError(code, { cause: err }));
  }
  local.failures = 0;
  // expires_in 0 means the token must not be reused; a missing one gets the short default.
  const lifetime =
    typeof tokens.expires_in === 'number' && tokens.expires_in >= 0 ? tokens.expires_in : DEFAULT_TOKEN_SECONDS;
  const expiresAt = now() + lifetime * 1000 - tokenMargin(lifetime);
  // Refused when this instance lost the lock meanwhile: its token still serves its own callers.
  await state.putToken(key, { value: tokens.access_token, expiresAt }, fence);
  return tokens.access_token;
}

/**
 * Service tokens by the client-credentials grant (RFC 6749 §4.4, by oauth4webapi), cached for
 * their lifetime less a margin, with one token request at a time among all instances: the one
 * that takes the lock asks, the others poll the shared cache for its token. A leader that dies
 * loses the lock when it expires, and one that lost it cannot overwrite a newer token (fencing).
 */
export function createServiceTokens(deps: TokenDeps) {
  const { state, now } = deps;
  const locals = new Map<string, LocalState>();
  const local = (name: string) => {
    if (!locals.has(name)) locals.set(name, { failures: 0, tokenRequests: 0 });
    return locals.get(name)!;
  };

  /** The cached token unless it has expired or is the one the upstream just refused. */
  async function cached(key: string, refused?: string) {
    const token = await state.getToken(key);
    return token && now() < token.expiresAt && token.value !== refused ? token : undefined;
  }

  async function lead(provider: M2mProvider, fence: number, refused?: string): Promise<string> {
    try {
      // The previous leader may have stored a token between our cache miss and taking the lock.
      const token = await cached(tokenKey(provider), refused);
      return token ? token.value : await requestToken(deps, local(provider.name), provider, fence);
    } finally {
      await state.unlock(tokenKey(provider), fence);
    }
  }

  /** Leads the token request when the lock is free, otherwise waits for the leader's token. */
  async function acquire(provider: M2mProvider, refused?: string): Promise<string> {
    // Real time, not `now()`: the polls sleep in real time.
    const giveUp = Date.now() + 2 * deps.lockMs;
    const key = tokenKey(provider);
    for (let waited = false; ; waited = true) {
      if (waited) {
        await sleep(deps.pollMs);
        const token = await cached(key, refused);
        if (token) return token.value;
      }
      await throwIfHeld(deps, key);
      const fence = await state.lock(key, deps.lockMs);
      if (fence !== undefined) return lead(provider, fence, refused);
      if (Date.now() > giveUp) throw new M2mError('upstream_timeout');
    }
  }

  return {
    /**
     * The cached token, or the result of the one token request in flight. `refused` is a token the
     * upstream just answered 401 to: it is dropped from the cache unless someone already replaced it.
     */
    async get(provider: M2mProvider, refused?: string): Promise<string> {
      const key = tokenKey(provider);
      const token = await cached(key, refused);
      if (token) {
        m2mTokenCacheHits.inc({ provider: provider.name });
        return token.value;
      }
      if (refused !== undefined) await state.dropTokenIf(key, refused);
      const mine = local(provider.name);
      mine.inflight ??= acquire(provider, refused).finally(() => {
        mine.inflight = undefined;
      });
      return mine.inflight;
    },

    /** The usable cached token of a provider, if any. */
    cached: (provider: M2mProvider) => cached(tokenKey(provider)),

    /** How many token requests this process has made for a provider. */
    requests: (name: string) => local(name).tokenRequests,
  };
}

export type ServiceTokens = ReturnType<typeof createServiceTokens>;

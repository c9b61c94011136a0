import * as oauth from 'oauth4webapi';
import { requestOptions, type FetchLike } from '../base/http.js';
import type { M2mProvider, RateLimit } from './m2m-config.js';
import { M2mError, retryAfterSeconds, transportError } from './m2m-errors.js';
import { createServiceTokens, TIMEOUT_MS, type ServiceTokens } from './m2m-tokens.js';
import { createMemoryState } from './shared/memory-state.js';
import type { SharedState } from './shared/state.js';
import { m2mUpstreamSeconds, rateLimitRefusals } from './metrics.js';

/** The upstream answer the route passes on: status and parsed JSON body only, no upstream headers. */
export interface M2mResult {
  status: number;
  body: unknown;
}

const MAX_BODY_BYTES = 1_048_576;

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

/**
 * Counts one request against a rate limit kept in the shared state, and refuses it with 429 and
 * Retry-After when the window is used up. The route can use it for a per-user limit as well.
 */
export async function enforceRateLimit(state: SharedState, key: string, limit: RateLimit): Promise<void> {
  const decision = await state.take(key, limit.limit, limit.windowMs);
  if (decision.allowed) return;
  rateLimitRefusals.inc();
  throw new M2mError('rate_limited', { status: 429, retryAfter: decision.retryAfterSeconds });
}

async function send(
  provider: M2mProvider,
  request: { url: URL; method: string; body?: string; token?: string },
  fetch?: FetchLike,
): Promise<Response> {
  const { url, method, body, token } = request;
  const headers = new Headers({ accept: 'application/json' });
  if (body !== undefined) headers.set('content-type', 'application/json');
  if (provider.tenantId) headers.set('x-tenant-id', provider.tenantId);
  const options = requestOptions({ fetch, timeoutMs: TIMEOUT_MS }, url);
  try {
    if (token !== undefined) {
      // Challenges are read below from the status; oauth4webapi's throw on them is not wanted here.
      return await oauth.protectedResourceRequest(token, method, url, headers, body, options).catch((err) => {
        if (err instanceof oauth.WWWAuthenticateChallengeError) return err.response;
        throw err;
      });
    }
    if (provider.auth.mode === 'api_key') headers.set(provider.auth.header, provider.auth.key);
    const init = {
      method,
      headers: Object.fromEntries(headers),
      body,
      redirect: 'manual' as const,
      signal: options.signal(),
    };
    return await (fetch ?? (globalThis.fetch as unknown as FetchLike))(url.href, init);
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

/** The upstream's answer, with one fresh token and one retry on 401, never more (checklist #86). */
async function sendWithToken(
  provider: M2mProvider,
  request: { url: URL; method: string; body?: string },
  tokens: ServiceTokens,
  fetch?: FetchLike,
): Promise<Response> {
  const usesToken = provider.auth.mode === 'client_credentials';
  let refused: string | undefined;
  for (let attempt = 0; ; attempt += 1) {
    const token = usesToken ? await tokens.get(provider, refused) : undefined;
    const timer = m2mUpstreamSeconds.startTimer({ provider: provider.name });
    const response = await send(provider, { ...request, token }, fetch).finally(() => timer());
    if (response.status !== 401 || !usesToken || attempt === 1) return response;
    refused = token;
    await response.body?.cancel();
  }
}

/** The hold on a provider's API after it answered 429 or 503 with Retry-After. */
const upstreamHold = (name: string) => `upstream:${name}`;

/** The upstream's answer as the caller's result, or the error it maps to; holds callers back after a 429. */
async function settle(upstream: Response, hold: (seconds: number) => Promise<void>, now: number): Promise<M2mResult> {
  if (upstream.status >= 300 && upstream.status < 400) throw new M2mError('upstream_unavailable');
  if (upstream.status === 401) throw new M2mError('upstream_auth_failed');
  if (upstream.status === 403) throw new M2mError('upstream_forbidden');
  const retryAfter = retryAfterSeconds(upstream.headers, now);
  if (upstream.status === 429 || (upstream.status === 503 && retryAfter !== undefined)) {
    // Hold every caller back until then, on every instance, rather than hammering the provider (checklist #88).
    const wait = retryAfter ?? 60;
    await hold(wait);
    throw new M2mError('rate_limited', { status: upstream.status, retryAfter: wait });
  }
  if (upstream.status >= 500) throw new M2mError('upstream_unavailable');
  // Only success bodies are passed on: an upstream's error text is not the caller's business.
  if (upstream.status < 200 || upstream.status > 299) {
    await upstream.body?.cancel();
    throw new M2mError('upstream_rejected', { status: upstream.status });
  }
  return { status: upstream.status, body: await read(upstream) };
}

/** Dependencies the tests and the server configuration replace. */
export interface M2mDeps {
  fetch?: FetchLike;
  now?: () => number;
  /** Where service tokens, the token-request lock, holds and rate limits live; this process's memory by default. */
  state?: SharedState;
  /** How long one instance may hold the token-request lock before another takes over. */
  tokenLockMs?: number;
  /** How often an instance waiting for another's token request looks for its token. */
  tokenPollMs?: number;
}

/**
 * The machine-to-machine client: gets service tokens with the client-credentials grant
 * (RFC 6749 §4.4, by oauth4webapi), caches each for its lifetime less a margin, shares one token
 * request among concurrent callers on every instance, re-fetches once on an upstream 401, honours
 * 429s and enforces each provider's rate limit.
 */
export function createM2mClient(providers: readonly M2mProvider[], deps: M2mDeps = {}) {
  const now = () => deps.now?.() ?? Date.now();
  const state = deps.state ?? createMemoryState(now);
  const byName = new Map(providers.map((p) => [p.name, p]));
  const tokens = createServiceTokens({
    state,
    now,
    fetch: deps.fetch,
    lockMs: deps.tokenLockMs ?? TIMEOUT_MS + 5_000,
    pollMs: deps.tokenPollMs ?? 25,
  });

  async function throwIfHeld(name: string): Promise<void> {
    const hold = await state.getHold(upstreamHold(name));
    if (hold && now() < hold.until) {
      throw new M2mError('rate_limited', { status: 429, retryAfter: Math.ceil((hold.until - now()) / 1000) });
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
      return tokens.requests(name);
    },

    /**
     * For the inspector's client-credentials tester: the provider's service token, from the cache or
     * one new token request, and whether it came from the cache. The token itself stays here.
     */
    async tokenStatus(
      name: string,
    ): Promise<{ fromCache: boolean; token: string; expiresAt: number; tokenRequests: number }> {
      const provider = byName.get(name);
      if (!provider) throw new M2mError('unknown_provider');
      if (provider.auth.mode !== 'client_credentials') throw new M2mError('bad_request');
      const fromCache = (await tokens.cached(provider)) !== undefined;
      const token = await tokens.get(provider);
      const expiresAt = (await tokens.cached(provider))?.expiresAt ?? now();
      return { fromCache, token, expiresAt, tokenRequests: tokens.requests(name) };
    },

    /** Whether a valid service token is cached for a provider, and until when. */
    async cacheState(name: string): Promise<{ cached: boolean; expiresAt?: number }> {
      const provider = byName.get(name);
      const token = provider ? await tokens.cached(provider) : undefined;
      return token ? { cached: true, expiresAt: token.expiresAt } : { cached: false };
    },

    /** Calls an allow-listed operation on a provider and returns the upstream status and JSON body. */
    async call(
      name: string,
      request: { method: string; path: string; search?: string; body?: string },
    ): Promise<M2mResult> {
      const provider = byName.get(name);
      if (!provider) throw new M2mError('unknown_provider');
      const url = resolveOperation(provider, request.method, request.path, request.search);
      await throwIfHeld(name);
      if (provider.rateLimit) await enforceRateLimit(state, `provider:${name}`, provider.rateLimit);
      const upstream = await sendWithToken(
        provider,
        { url, method: request.method, body: request.body },
        tokens,
        deps.fetch,
      );
      const hold = (seconds: number) =>
        state.setHold(upstreamHold(name), { until: now() + seconds * 1000, code: 'rate_limited' });
      return settle(upstream, hold, now());
    },
  };
}

export type M2mClient = ReturnType<typeof createM2mClient>;

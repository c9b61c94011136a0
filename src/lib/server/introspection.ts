import * as oauth from 'oauth4webapi';
import type { ServerEndpoints } from '../oauth/authorization-server.js';
import { isTimeout, requestOptions, type FetchLike } from '../base/http.js';
import { CallerUnavailableError } from './caller-errors.js';
import type { IntrospectionClient } from './caller-config.js';
import type { ShortCache } from './short-state.js';

/** The longest an introspection answer is reused: a token revoked at the server stops working within it. */
export const INTROSPECTION_CACHE_MS = 60_000;

/** How long the introspection endpoint may take to answer. */
export const INTROSPECTION_TIMEOUT_MS = 5_000;

/** What the route keeps of an active token's introspection answer (RFC 7662 §2.2). */
export interface ActiveToken {
  active: true;
  sub?: string;
  scope?: string;
  exp?: number;
  iss?: string;
  aud?: string | string[];
  token_type?: string;
  cnf?: { jkt?: string };
}

export type IntrospectionAnswer = ActiveToken | { active: false };

export interface IntrospectionDeps {
  server: () => Promise<ServerEndpoints>;
  client: IntrospectionClient;
  cache: ShortCache;
  fetch?: FetchLike;
  /** Epoch milliseconds. */
  now: () => number;
}

function keep(body: oauth.IntrospectionResponse): IntrospectionAnswer {
  if (!body.active) return { active: false };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const cnf = body.cnf as { jkt?: unknown } | undefined;
  return {
    active: true,
    sub: text(body.sub),
    scope: text(body.scope),
    exp: typeof body.exp === 'number' ? body.exp : undefined,
    iss: text(body.iss),
    aud: typeof body.aud === 'string' || Array.isArray(body.aud) ? body.aud : undefined,
    token_type: text(body.token_type),
    cnf: cnf && typeof cnf === 'object' ? { jkt: text(cnf.jkt) } : undefined,
  };
}

/** The operator's reason for a failed introspection, in one line without the secret or the token. */
function operatorCause(err: unknown, endpoint: string): string {
  const check =
    'check FENTU_INTROSPECTION_CLIENT_ID, FENTU_INTROSPECTION_CLIENT_SECRET and FENTU_INTROSPECTION_AUTH_METHOD';
  if (
    err instanceof oauth.WWWAuthenticateChallengeError ||
    (err instanceof oauth.ResponseBodyError && err.error === 'invalid_client')
  )
    return `the introspection endpoint ${endpoint} refused our client credentials (HTTP ${err.status}): ${check}`;
  if (err instanceof oauth.ResponseBodyError)
    return `the introspection endpoint ${endpoint} answered HTTP ${err.status} "${err.error}"`;
  if (err instanceof oauth.OperationProcessingError) {
    const status = (err.cause as Response | undefined)?.status;
    if (status === 401 || status === 403)
      return `the introspection endpoint ${endpoint} refused our client credentials (HTTP ${status}): ${check}`;
    return `the introspection endpoint ${endpoint} gave an unusable answer${status ? ` (HTTP ${status})` : ''}`;
  }
  if (isTimeout(err)) return `the introspection endpoint ${endpoint} did not answer in time`;
  const code = (err as { cause?: { code?: string } })?.cause?.code;
  return `the introspection endpoint ${endpoint} could not be reached${code ? ` (${code})` : ''}`;
}

async function cacheKey(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return `introspection:${Buffer.from(digest).toString('base64url')}`;
}

// Introspections under way, per cache: callers presenting the same token at once share one request.
const inFlight = new WeakMap<ShortCache, Map<string, Promise<IntrospectionAnswer>>>();

/**
 * Asks the authorization server whether `token` is active (RFC 7662 §2.1), authenticated as the
 * route's own client. Answers are cached under a SHA-256 of the token, never the token, for at
 * most INTROSPECTION_CACHE_MS and never past the token's `exp`. A server-side problem (no
 * endpoint, unreachable, our credentials refused, an unusable answer) is CallerUnavailableError.
 */
export async function introspect(token: string, deps: IntrospectionDeps): Promise<IntrospectionAnswer> {
  const key = await cacheKey(token);
  // The cache only saves requests: when its store fails, the server is asked instead.
  const cached = (await deps.cache.getJson(key).catch(() => undefined)) as IntrospectionAnswer | undefined;
  if (cached && typeof cached.active === 'boolean') return cached;
  let pending = inFlight.get(deps.cache);
  if (!pending) inFlight.set(deps.cache, (pending = new Map()));
  const running = pending.get(key);
  if (running) return running;
  const answer = ask(token, key, deps).finally(() => pending.delete(key));
  pending.set(key, answer);
  return answer;
}

/** One introspection request, its answer cached (see introspect). */
async function ask(token: string, key: string, deps: IntrospectionDeps): Promise<IntrospectionAnswer> {
  const metadata = await deps.server();
  const endpoint = deps.client.endpoint ?? metadata.introspection_endpoint;
  if (!endpoint) {
    throw new CallerUnavailableError(
      `${metadata.issuer} advertises no introspection_endpoint: set FENTU_INTROSPECTION_ENDPOINT`,
    );
  }
  const as: oauth.AuthorizationServer = { issuer: metadata.issuer, introspection_endpoint: endpoint };
  const client: oauth.Client = { client_id: deps.client.clientId };
  const auth =
    deps.client.authMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(deps.client.clientSecret)
      : oauth.ClientSecretBasic(deps.client.clientSecret);
  let answer: IntrospectionAnswer;
  try {
    const response = await oauth.introspectionRequest(as, client, auth, token, {
      ...requestOptions({ fetch: deps.fetch, timeoutMs: INTROSPECTION_TIMEOUT_MS }, endpoint),
      additionalParameters: { token_type_hint: 'access_token' },
    });
    answer = keep(await oauth.processIntrospectionResponse(as, client, response));
  } catch (err) {
    // A token the server will not introspect at all (oidc-provider says so for JWTs) is not active.
    if (err instanceof oauth.ResponseBodyError && err.error === 'unsupported_token_type') answer = { active: false };
    else throw new CallerUnavailableError(operatorCause(err, endpoint), err);
  }
  const untilExp = answer.active && answer.exp !== undefined ? answer.exp * 1000 - deps.now() : Infinity;
  const ttl = Math.min(untilExp, INTROSPECTION_CACHE_MS);
  if (ttl > 0) await deps.cache.setJson(key, answer, ttl).catch(() => undefined);
  return answer;
}

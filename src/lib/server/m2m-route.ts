import { createHash } from 'node:crypto';
import { json, type RequestEvent } from '@sveltejs/kit';
import { readBodyText } from './api-guard.js';
import { hasScope, requireScope, verifyCaller, type Caller } from './caller.js';
import { opsSettings, serverContext } from './config.js';
import { errorResponse, ServerError } from './errors.js';
import { maskToken } from '../base/mask.js';
import { log } from './log.js';
import { enforceRateLimit } from './m2m.js';
import { M2mError } from './m2m-errors.js';

function noStore(headers: Record<string, string> = {}): Headers {
  return new Headers({ 'cache-control': 'no-store', ...headers });
}

/** The answer for a failed call. An unexpected failure is logged by its name only, never a request, header or token. */
function failure(err: unknown): Response {
  if (!(err instanceof ServerError) || !err.expose) {
    log.error('m2m_unexpected_failure', { error: err instanceof Error ? err.name : typeof err });
  }
  return errorResponse(err);
}

function caller(event: RequestEvent): Promise<Caller> {
  const context = serverContext(event.url.origin);
  const server = () =>
    context.authorizationServer().catch(() => {
      throw new M2mError('upstream_unavailable');
    });
  return verifyCaller(event.request, { ...context.callers, server, audience: context.client.apiBaseUrl });
}

/**
 * GET /api/m2m: every configured provider, whether this caller may use it, its allowed operations
 * and whether a service token is cached. No secret, token or upstream URL is included.
 */
export async function listProviders(event: RequestEvent): Promise<Response> {
  try {
    const who = await caller(event);
    const { m2m } = serverContext(event.url.origin);
    const providers = await Promise.all(
      m2m.names().map(async (name) => {
        const provider = m2m.provider(name)!;
        return {
          name,
          mode: provider.auth.mode,
          userScope: provider.userScope,
          permitted: hasScope(who, provider.userScope),
          allow: provider.allow,
          cache: await m2m.cacheState(name),
        };
      }),
    );
    return json({ providers }, { headers: noStore() });
  } catch (err) {
    return failure(err);
  }
}

/** The provider the URL names, once the caller is checked and holds its user scope (401 / 403 / 404). */
async function permittedProvider(event: RequestEvent) {
  const who = await caller(event);
  const { m2m } = serverContext(event.url.origin);
  const name = event.params.provider ?? '';
  const provider = m2m.provider(name);
  if (!provider) throw new M2mError('unknown_provider');
  requireScope(who, provider.userScope);
  return { m2m, name, provider, who };
}

/**
 * Counts a partner call against the caller's own limit, on every instance (429 with Retry-After
 * past it), so one user cannot spend a partner's quota for everyone. Keyed by a hash of the
 * user's `sub`: no user data in the shared store.
 */
async function withinUserLimit(event: RequestEvent, who: Caller): Promise<void> {
  const { sharedState, userRateLimit } = serverContext(event.url.origin);
  const user = createHash('sha256').update(who.sub).digest('base64url');
  await enforceRateLimit(sharedState, `user:${user}`, userRateLimit);
}

/**
 * /api/m2m/<provider>/<path>: checks the signed-in caller (401 / 403), then makes the allow-listed
 * call with the server's own credential and returns only the provider's status and JSON body.
 */
export async function respond(event: RequestEvent, method: 'GET' | 'POST'): Promise<Response> {
  try {
    const { m2m, name, who } = await permittedProvider(event);
    await withinUserLimit(event, who);
    // The raw, still-encoded path: encoded dots and slashes are refused, not decoded into a path.
    const path = event.url.pathname.slice(`/api/m2m/${name}`.length);
    const body = method === 'POST' ? await readBodyText(event.request, opsSettings().apiMaxBodyBytes) : undefined;
    const result = await m2m.call(name, { method, path, search: event.url.search, body });
    // Statuses without a body (204, 205) cannot carry JSON.
    if (result.status === 204 || result.status === 205)
      return new Response(null, { status: result.status, headers: noStore() });
    return json(result.body, { status: result.status, headers: noStore() });
  } catch (err) {
    return failure(err);
  }
}

/**
 * POST /api/m2m-token/<provider>: the inspector's client-credentials tester. Gets the provider's
 * service token through the server (cache first) and answers with its masked form and the cache
 * state — never the token or the secret itself.
 */
export async function testToken(event: RequestEvent): Promise<Response> {
  try {
    const { m2m, name, provider } = await permittedProvider(event);
    const status = await m2m.tokenStatus(name);
    const auth = provider.auth.mode === 'client_credentials' ? provider.auth : undefined;
    return json(
      {
        provider: name,
        fromCache: status.fromCache,
        tokenRequests: status.tokenRequests,
        expiresAt: new Date(status.expiresAt).toISOString(),
        accessToken: maskToken(status.token),
        clientAuth: auth?.method,
        scope: auth?.scope ?? null,
      },
      { headers: noStore() },
    );
  } catch (err) {
    return failure(err);
  }
}

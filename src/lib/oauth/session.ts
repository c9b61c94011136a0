import * as oauth from 'oauth4webapi';
import type { ServerEndpoints } from './authorization-server.js';
import { assertTokenType, requireDpopHandle, withNonceRetry } from './dpop.js';
import { FieldpassError, type FieldpassErrorCode } from '../base/errors.js';
import { backoffDelay, requestOptions } from '../base/http.js';
import { toFieldpassError } from './failures.js';
import { nowOf, type CoreRuntime } from './runtime.js';
import { defaultLock } from '../base/lock.js';
import { discardPendingAttempts } from './pending.js';
import { splitScopes } from './scopes.js';

/** IndexedDB key of the token set. One record, so every write replaces all of it at once. */
export const SESSION_KEY = 'session';

/** Refresh when less than this much of the access token's life is left (capped at half its life). */
const REFRESH_MARGIN_MS = 60_000;

/** The signed-in user, from the validated ID token when the server issued one. */
export interface SessionUser {
  sub: string;
  name?: string;
  email?: string;
}

/** The stored token set. */
export interface Session {
  server: ServerEndpoints;
  client_id: string;
  access_token: string;
  token_type: string;
  refresh_token?: string;
  /** When the access token stops working, from `expires_in` and the time the response arrived. */
  expires_at: number;
  /** The access token's lifetime in seconds, as the server gave it. */
  expires_in: number;
  /** What the server granted; RFC 6749 §3.3: when it says nothing, what was requested. */
  scope: string;
  requested_scope: string;
  user?: SessionUser;
  updated_at: number;
  /** True when the tokens are bound to the device's DPoP key (RFC 9449): every use needs a proof. */
  dpop?: boolean;
  /** Refresh attempts that failed in a row since the last success (network, 5xx, 429, bad answer). */
  refresh_failures?: number;
  /**
   * True when a failed refresh may have reached the server: the server may then have rotated the
   * refresh token and the answer carrying the new one was lost.
   */
  refresh_in_doubt?: boolean;
  /** No automatic refresh before this time (epoch ms): back-off, or the server's `Retry-After`. */
  retry_not_before?: number;
  /** The kind of the last refresh failure, for callers that arrive during the back-off. */
  refresh_error?: FieldpassErrorCode;
  /** The part of the wait the server asked for (`Retry-After`): never skipped. */
  server_retry_at?: number;
}

/** Refresh failures that leave the session stored, to be retried with back-off. */
const TRANSIENT: readonly FieldpassErrorCode[] = [
  'NETWORK',
  'TIMEOUT',
  'SERVER_ERROR',
  'RATE_LIMITED',
  'TOKEN_RESPONSE_INVALID',
];

/** Back-off after failed refreshes: 2 s doubling to at most 60 s. */
const BACKOFF_BASE_MS = 2_000;
const BACKOFF_CAP_MS = 60_000;

/**
 * How long to wait before the next refresh attempt after `failures` failures in a row (see
 * `backoffDelay`), so tabs and devices do not retry in step.
 */
export function refreshRetryDelay(failures: number, random?: () => number): number {
  return backoffDelay(failures, BACKOFF_BASE_MS, BACKOFF_CAP_MS, random);
}

/** Access tokens without `expires_in` are treated as living this long (RFC 6749 §5.1 makes it optional). */
const DEFAULT_EXPIRES_IN = 300;

interface SessionSource {
  server: ServerEndpoints;
  clientId: string;
  requestedScope: string;
  receivedAt: number;
  claims?: oauth.IDToken;
  previous?: Session;
  dpop?: boolean;
}

/** Turns a validated token response into the stored token set. */
export function sessionFromTokenResponse(tokens: oauth.TokenEndpointResponse, source: SessionSource): Session {
  const expiresIn =
    typeof tokens.expires_in === 'number' && tokens.expires_in > 0 ? tokens.expires_in : DEFAULT_EXPIRES_IN;
  const claims = source.claims;
  const user = claims
    ? {
        sub: claims.sub,
        name: typeof claims.name === 'string' ? claims.name : undefined,
        email: typeof claims.email === 'string' ? claims.email : undefined,
      }
    : source.previous?.user;
  return {
    server: source.server,
    client_id: source.clientId,
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    // RFC 6749 §6: a response without a new refresh token leaves the old one in force.
    refresh_token: tokens.refresh_token ?? source.previous?.refresh_token,
    expires_at: source.receivedAt + expiresIn * 1000,
    expires_in: expiresIn,
    scope: tokens.scope ?? source.previous?.scope ?? source.requestedScope,
    requested_scope: source.requestedScope,
    user,
    updated_at: source.receivedAt,
    dpop: source.dpop ?? source.previous?.dpop ?? false,
  };
}

/** The stored token set, or undefined when signed out. */
export async function getSession(runtime: CoreRuntime): Promise<Session | undefined> {
  return runtime.store.get<Session>(SESSION_KEY);
}

/** How long before expiry a token counts as due for refresh. */
export function refreshMargin(session: Pick<Session, 'expires_in'>): number {
  return Math.min(REFRESH_MARGIN_MS, (session.expires_in * 1000) / 2);
}

/** True when the access token is within its refresh margin of expiry, or past it. */
export function isDueForRefresh(session: Session, now: number): boolean {
  return session.expires_at - now <= refreshMargin(session);
}

/**
 * The scopes granted, as a list. A server may list only the API's scopes in `scope` and answer the
 * OpenID ones with the ID token instead, so those count as granted when the ID token carried them.
 */
export function grantedScopes(session: Session): string[] {
  const granted = splitScopes(session.scope);
  const requested = splitScopes(session.requested_scope);
  const user = session.user;
  if (user) {
    if (requested.includes('openid')) granted.push('openid');
    if (requested.includes('profile') && user.name !== undefined) granted.push('profile');
    if (requested.includes('email') && user.email !== undefined) granted.push('email');
  }
  return [...new Set(granted)];
}

/** The Web Lock every write of the token set for this server and client is made under. */
export function sessionLockName(session: Pick<Session, 'server' | 'client_id'>): string {
  return `fieldpass-refresh:${session.server.issuer}:${session.client_id}`;
}

/**
 * A session whose access token is not due for refresh, refreshing it if needed (RFC 6749 §6).
 * `rejectedAccessToken` is one the API has just refused: it is replaced even if not yet expired.
 *
 * Refreshes run one at a time under a lock shared by every tab; after taking it the token set is
 * read again, so a refresh another holder already made is used instead of presenting the same
 * refresh token twice (which rotation's reuse detection answers by revoking the grant). The
 * rotated refresh token and the new access token are written together in one record.
 *
 * `invalid_grant` ends the session (SESSION_ENDED, with `reason: 'refresh_lost'` when an earlier
 * attempt may have reached the server and its answer was lost). Network errors, timeouts, 5xx, 429
 * and unusable answers leave the token set stored and count the failure in it, for back-off.
 */
export async function ensureFreshSession(
  runtime: CoreRuntime,
  rejectedAccessToken?: string,
  options: { ignoreBackoff?: boolean } = {},
): Promise<Session> {
  const needsWork = (s: Session) => s.access_token === rejectedAccessToken || isDueForRefresh(s, nowOf(runtime));
  const read = async () => {
    const session = await getSession(runtime);
    if (!session) throw new FieldpassError('NOT_SIGNED_IN', 'No session');
    return session;
  };
  const current = await read();
  if (!needsWork(current)) return current;
  // Where a service worker controls the page, it refreshes; what it stored is read back below.
  await runtime.refreshElsewhere?.({ rejectedAccessToken, ignoreBackoff: options.ignoreBackoff });

  const lock = runtime.lock ?? defaultLock;
  return lock(sessionLockName(current), async () => {
    const session = await read();
    if (!needsWork(session)) return session;
    const now = nowOf(runtime);
    // Back-off after failures, shared by every tab: use the access token while it lasts, then say
    // when the next try is. Coming back online or to the tab skips it, unless the server set it.
    if ((session.server_retry_at ?? 0) > now || ((session.retry_not_before ?? 0) > now && !options.ignoreBackoff)) {
      if (session.expires_at > now && session.access_token !== rejectedAccessToken) return session;
      throw new FieldpassError(session.refresh_error ?? 'NETWORK', 'Waiting to retry the refresh', {
        retryAt: session.retry_not_before,
      });
    }
    if (!session.refresh_token) {
      return endSession(runtime, new FieldpassError('SESSION_ENDED', 'Expired, and no refresh token'));
    }
    let tokens: oauth.TokenEndpointResponse | undefined;
    let failure!: FieldpassError;
    let inDoubtNow = session.refresh_in_doubt === true;
    const salvage: { refreshToken?: string } = {};
    // A request whose answer was lost on the network (the server may have rotated the token) is
    // retried once, at once, with the same token: a server that accepts the previous refresh token
    // for a few seconds answers it; a strict one answers invalid_grant, and the session ends as lost.
    for (let retry = !inDoubtNow; !tokens; retry = false) {
      try {
        tokens = await refreshRequest(runtime, session, session.refresh_token, salvage);
      } catch (err) {
        failure = toFieldpassError(err, 'refresh', nowOf(runtime));
        inDoubtNow ||= inDoubt(failure) && !salvage.refreshToken;
        const lost = failure.code === 'NETWORK' || failure.code === 'TIMEOUT';
        if (!(retry && lost && globalThis.navigator?.onLine !== false)) break;
      }
    }
    if (!tokens) {
      if (failure.code === 'SESSION_ENDED') {
        if (inDoubtNow) failure.details.reason = 'refresh_lost';
        return endSession(runtime, failure);
      }
      if (!TRANSIENT.includes(failure.code)) throw failure;
      return keepForRetry(runtime, session, failure, salvage.refreshToken, inDoubtNow);
    }
    const next = sessionFromTokenResponse(tokens, {
      server: session.server,
      clientId: session.client_id,
      requestedScope: session.requested_scope,
      receivedAt: nowOf(runtime),
      previous: session,
    });
    await runtime.store.set(SESSION_KEY, next);
    runtime.onChange?.({ kind: 'stored' });
    return next;
  });
}

/**
 * Keeps the token set after a refresh failure that may pass, counting it for the back-off, and
 * throws it. `rotated` is a refresh token from an answer that arrived but did not validate.
 */
async function keepForRetry(
  runtime: CoreRuntime,
  session: Session,
  failure: FieldpassError,
  rotated: string | undefined,
  inDoubtNow: boolean,
): Promise<never> {
  const failures = (session.refresh_failures ?? 0) + 1;
  const backoffUntil = nowOf(runtime) + refreshRetryDelay(failures);
  await runtime.store.set(SESSION_KEY, {
    ...session,
    // Keeping a rotated refresh token is what stops the next try from presenting a spent one
    // (reuse detection).
    refresh_token: rotated ?? session.refresh_token,
    refresh_failures: failures,
    // Only a request that may have been processed with its answer lost leaves the token in doubt.
    refresh_in_doubt: rotated ? false : inDoubtNow,
    retry_not_before: Math.max(backoffUntil, failure.details.retryAt ?? 0),
    refresh_error: failure.code,
    server_retry_at: failure.details.retryAt,
  } satisfies Session);
  throw failure;
}

/** True when a failed refresh may have been processed by the server and its answer lost. */
function inDoubt({ code, details }: FieldpassError): boolean {
  return (
    ['NETWORK', 'TIMEOUT', 'TOKEN_RESPONSE_INVALID'].includes(code) ||
    (code === 'SERVER_ERROR' && (details.status ?? 500) >= 500)
  );
}

/**
 * One refresh request and its validated answer, with a DPoP proof when the tokens are bound.
 * When a 200 answer fails validation, a `refresh_token` it carries is put in `salvage`.
 */
async function refreshRequest(
  runtime: CoreRuntime,
  session: Session,
  refreshToken: string,
  salvage: { refreshToken?: string },
) {
  const client: oauth.Client = { client_id: session.client_id };
  const DPoP = session.dpop ? await requireDpopHandle(runtime) : undefined;
  return withNonceRetry(async () => {
    const response = await oauth.refreshTokenGrantRequest(session.server, client, oauth.None(), refreshToken, {
      ...requestOptions(runtime, session.server.token_endpoint),
      DPoP,
    });
    const copy = response.status === 200 ? response.clone() : undefined;
    try {
      const tokens = await oauth.processRefreshTokenResponse(session.server, client, response);
      assertTokenType(tokens, session.dpop === true);
      return tokens;
    } catch (err) {
      const body: unknown = await copy?.json().catch(() => undefined);
      const rotated = (body as { refresh_token?: unknown } | undefined)?.refresh_token;
      if (typeof rotated === 'string' && rotated.length > 0 && rotated.length <= 4096) salvage.refreshToken = rotated;
      throw err;
    }
  });
}

/** Removes the token set because the server ended it, tells the other tabs, and throws why. */
async function endSession(runtime: CoreRuntime, failure: FieldpassError): Promise<never> {
  await runtime.store.del(SESSION_KEY);
  runtime.onChange?.({ kind: 'ended', code: failure.code, reason: failure.details.reason });
  throw failure;
}

/** What sign-out managed to tell the server. */
export interface SignOutResult {
  /** True when the server confirmed the refresh token (or, lacking one, the access token) revoked. */
  revoked: boolean;
  /**
   * Why revocation could not be confirmed, when it could not: `revocation_queued` when the server
   * could not be reached or failed, and the revocation waits, sealed, to be sent again.
   */
  problem?: 'no_revocation_endpoint' | 'revocation_failed' | 'revocation_queued';
}

/** IndexedDB key of the revocations still to be sent (sealed like every record but the keys). */
export const REVOCATIONS_KEY = 'revocations';

/** A token the server could not be told to revoke yet, and until when that is worth trying. */
interface PendingRevocation {
  server: ServerEndpoints;
  client_id: string;
  token: string;
  hint: 'refresh_token' | 'access_token';
  until: number;
}

/** Revokes one token (RFC 7009 §2.1); resolves false when it failed for a reason that may pass. */
async function revoke(runtime: CoreRuntime, { server, client_id, token, hint }: PendingRevocation): Promise<boolean> {
  try {
    const response = await oauth.revocationRequest(server, { client_id }, oauth.None(), token, {
      ...requestOptions(runtime, server.revocation_endpoint),
      additionalParameters: { token_type_hint: hint },
    });
    await oauth.processRevocationResponse(response);
    return true;
  } catch (err) {
    const failure = toFieldpassError(err, 'revocation');
    // No answer, a 5xx or a 429 may pass; any other refusal will not.
    if (inDoubt(failure) || failure.code === 'RATE_LIMITED') return false;
    throw failure;
  }
}

/**
 * Sends the revocations still waiting (see `signOut`), keeping those that fail again for a reason
 * that may pass, until they are no longer worth sending.
 */
export async function retryRevocations(runtime: CoreRuntime): Promise<void> {
  await (runtime.lock ?? defaultLock)(REVOCATIONS_KEY, async () => {
    const kept: PendingRevocation[] = [];
    for (const revocation of (await runtime.store.get<PendingRevocation[]>(REVOCATIONS_KEY)) ?? []) {
      if (revocation.until > nowOf(runtime) && !(await revoke(runtime, revocation).catch(() => true))) {
        kept.push(revocation);
      }
    }
    await (kept.length ? runtime.store.set(REVOCATIONS_KEY, kept) : runtime.store.del(REVOCATIONS_KEY));
  });
}

/**
 * Signs out (RFC 7009 §2.1): removes the token set and pending attempts, then revokes the refresh
 * token and the access token at the server. It holds the refresh lock while it removes the token
 * set, so a refresh already under way finishes first and cannot write a new token set back after.
 * `clearLocalData` runs once the token set is gone and before the revocation requests, so what the
 * app keeps beside it is gone too even if the page closes while the server is being told. When the
 * decisive revocation (the refresh token's, or the access token's without one) fails for a reason
 * that may pass, it is kept sealed and sent again by `retryRevocations`: the refresh token for up
 * to 30 days, the access token until it expires. The sign-out on this device is immediate.
 */
export async function signOut(runtime: CoreRuntime, clearLocalData?: () => Promise<unknown>): Promise<SignOutResult> {
  const stored = await getSession(runtime);
  const lock = runtime.lock ?? defaultLock;
  const take = () => runtime.store.take<Session>(SESSION_KEY);
  const session = stored ? await lock(sessionLockName(stored), take) : await take();
  await discardPendingAttempts(runtime);
  runtime.onChange?.({ kind: 'signed-out' });
  await clearLocalData?.();
  if (!session) return { revoked: true };
  if (!session.server.revocation_endpoint) return { revoked: false, problem: 'no_revocation_endpoint' };

  const { server, client_id, refresh_token, access_token, expires_at } = session;
  const access: PendingRevocation = { server, client_id, token: access_token, hint: 'access_token', until: expires_at };
  // The refresh token is what keeps a session alive; an access token the server cannot revoke
  // (a JWT, say) still expires on its own within its short lifetime.
  const decisive: PendingRevocation = refresh_token
    ? { ...access, token: refresh_token, hint: 'refresh_token', until: nowOf(runtime) + 30 * 24 * 3_600_000 }
    : access;
  const [result] = await Promise.allSettled([
    revoke(runtime, decisive),
    ...(refresh_token ? [revoke(runtime, access)] : []),
  ]);
  if (result.status === 'rejected') return { revoked: false, problem: 'revocation_failed' };
  if (result.value) return { revoked: true };
  await lock(REVOCATIONS_KEY, async () => {
    const waiting = (await runtime.store.get<PendingRevocation[]>(REVOCATIONS_KEY)) ?? [];
    await runtime.store.set(REVOCATIONS_KEY, [...waiting, decisive]);
  });
  return { revoked: false, problem: 'revocation_queued' };
}

import * as oauth from 'oauth4webapi';
import { FieldpassError } from '../base/errors.js';
import { requestOptions, retryAt } from '../base/http.js';
import { toFieldpassError } from './failures.js';
import { nowOf, type CoreRuntime } from './runtime.js';
import { requireDpopHandle } from './dpop.js';
import { ensureFreshSession, type Session } from './session.js';

/** The Fentu rate-limit headers of the last response (fentu-fsm-authentication.txt, "Rate Limit Headers"). */
export interface RateLimit {
  limit: number;
  remaining: number;
  /** When the window resets, epoch milliseconds. */
  resetAt: number;
}

export interface ApiResult<T> {
  status: number;
  body: T;
  rateLimit?: RateLimit;
}

export interface ApiRequest {
  /** Path under the API base URL, such as `/work-orders`. */
  path: string;
  method?: 'GET' | 'POST' | 'PATCH';
  body?: unknown;
  /** Extra request headers, such as `Idempotency-Key`; they cannot replace the ones set here. */
  headers?: Record<string, string>;
}

function readRateLimit(headers: Headers): RateLimit | undefined {
  const values = ['limit', 'remaining', 'reset'].map((name) => Number(headers.get(`x-ratelimit-${name}`)));
  if (!headers.has('x-ratelimit-limit') || values.some(Number.isNaN)) return undefined;
  const [limit, remaining, reset] = values;
  return { limit, remaining, resetAt: reset * 1000 };
}

/** A string from a JSON body, or undefined for anything else. */
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

async function send(runtime: CoreRuntime, baseUrl: string, session: Session, request: ApiRequest): Promise<Response> {
  const url = new URL(baseUrl + request.path);
  const headers = new Headers(request.headers);
  headers.set('accept', 'application/json');
  let body: string | undefined;
  if (request.body !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(request.body);
  }
  // A DPoP-bound token goes with a fresh proof for this method and URL (RFC 9449 §7).
  const DPoP = session.dpop ? await requireDpopHandle(runtime) : undefined;
  return oauth.protectedResourceRequest(session.access_token, request.method ?? 'GET', url, headers, body, {
    ...requestOptions(runtime, url),
    DPoP,
  });
}

/**
 * Calls the Fentu API with the session's access token (RFC 6750 §2.1), refreshing it first when it
 * is due. A 401 `invalid_token` gets one refresh and one retry, never more (no 401 loops); a 403
 * `insufficient_scope` names the missing scope (RFC 6750 §3.1); a 429 says when to retry.
 */
export async function callApi<T>(baseUrl: string, request: ApiRequest, runtime: CoreRuntime): Promise<ApiResult<T>> {
  let session = await ensureFreshSession(runtime);
  let nonceRetried = false;
  let refreshed = false;
  for (;;) {
    let response: Response;
    try {
      response = await send(runtime, baseUrl, session, request);
    } catch (err) {
      if (!(err instanceof oauth.WWWAuthenticateChallengeError)) throw toFieldpassError(err, 'api');
      const nonceError = oauth.isDPoPNonceError(err);
      // The API wants a DPoP nonce: the handle has stored it; one more try (RFC 9449 §9), never two.
      if (nonceError && !nonceRetried) {
        nonceRetried = true;
        continue;
      }
      const challenge = err.cause.find((c) => c.scheme === 'bearer' || c.scheme === 'dpop')?.parameters ?? {};
      if (err.status === 401 && !refreshed && !nonceError) {
        refreshed = true;
        session = await ensureFreshSession(runtime, session.access_token);
        continue;
      }
      const insufficient = err.status === 403 && challenge.error === 'insufficient_scope';
      throw new FieldpassError(
        insufficient ? 'INSUFFICIENT_SCOPE' : err.status === 401 ? 'API_UNAUTHORIZED' : 'API_ERROR',
        'The API refused the request',
        {
          status: err.status,
          error: challenge.error,
          description: challenge.error_description,
          scope: insufficient ? challenge.scope : undefined,
        },
        err,
      );
    }
    const { status, headers } = response;
    if (status === 429) {
      throw new FieldpassError('RATE_LIMITED', 'The API is rate limited', {
        status,
        retryAt: retryAt(headers, nowOf(runtime)),
      });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (cause) {
      throw new FieldpassError('API_ERROR', "The API's answer is not JSON", { status }, cause);
    }
    if (!response.ok) {
      const error = body as { error?: unknown; error_description?: unknown } | null;
      throw new FieldpassError(status >= 500 ? 'SERVER_ERROR' : 'API_ERROR', 'The API refused the request', {
        status,
        error: text(error?.error),
        description: text(error?.error_description),
      });
    }
    return { status, body: body as T, rateLimit: readRateLimit(headers) };
  }
}

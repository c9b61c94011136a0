import { isTimeout, retryAt } from '../base/http.js';
import { ServerError } from './errors.js';

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

/**
 * A failure of the route, with the HTTP status and message for the caller. Every one is shown,
 * the 5xx ones too: their words are written for the caller and name no secret.
 */
export class M2mError extends ServerError {
  declare readonly code: M2mErrorCode;
  /** Seconds until the caller may try again (429/503). */
  readonly retryAfter?: number;

  constructor(code: M2mErrorCode, options: { retryAfter?: number; status?: number; cause?: unknown } = {}) {
    const { retryAfter, cause } = options;
    super({
      status: options.status ?? STATUS[code],
      code,
      description: MESSAGES[code],
      expose: true,
      headers: retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {},
      cause,
    });
    this.retryAfter = retryAfter;
  }
}

/** The longest back-off the route accepts from a server, so a bad header cannot block it for years. */
const MAX_RETRY_AFTER_SECONDS = 300;

/** `Retry-After` (seconds or HTTP date, RFC 9110 §10.2.3), else `X-RateLimit-Reset`; 1 s to 5 min. */
export function retryAfterSeconds(headers: Headers, now: number): number | undefined {
  const at = retryAt(headers, now);
  if (at === undefined) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil((at - now) / 1000)));
}

/** A failed fetch as the caller sees it: a timeout or an unreachable provider. */
export function transportError(err: unknown): M2mError {
  return new M2mError(isTimeout(err) ? 'upstream_timeout' : 'upstream_unavailable', { cause: err });
}

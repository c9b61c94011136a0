import * as oauth from 'oauth4webapi';
import { FieldpassError, type FieldpassErrorCode } from './errors.js';

/** Where a failure happened, which decides how an OAuth error code is read. */
export type FailureContext = 'discovery' | 'code-exchange' | 'refresh' | 'revocation' | 'api';

function responseOf(err: unknown): Response | undefined {
  if (err instanceof oauth.ResponseBodyError || err instanceof oauth.WWWAuthenticateChallengeError) return err.response;
  const cause = (err as { cause?: unknown })?.cause;
  return cause instanceof Response ? cause : undefined;
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof oauth.ResponseBodyError) return err.status;
  if (err instanceof oauth.WWWAuthenticateChallengeError) return err.status;
  return responseOf(err)?.status;
}

/**
 * When a refused request may be made again: `Retry-After` in seconds or as an HTTP date
 * (RFC 9110 §10.2.3), else the Fentu API's `X-RateLimit-Reset` (epoch seconds).
 */
export function retryAtFrom(headers: Headers, now: number): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return now + seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return date;
  }
  const reset = Number(headers.get('x-ratelimit-reset') ?? Number.NaN);
  return Number.isFinite(reset) ? reset * 1000 : undefined;
}

/**
 * Sorts whatever oauth4webapi, fetch or the server threw into one FieldpassError. Transient kinds
 * (NETWORK, TIMEOUT, SERVER_ERROR) leave stored state alone; the caller decides what else to do.
 */
export function toFieldpassError(err: unknown, context: FailureContext, now = Date.now()): FieldpassError {
  const failure = classify(err, context, now);
  // A 503 may say when to come back too (RFC 9110 §10.2.3); a refresh waits at least that long.
  if (failure.details.status === 503 && failure.details.retryAt === undefined) {
    failure.details.retryAt = retryAtFrom(responseOf(err)?.headers ?? new Headers(), now);
  }
  return failure;
}

function classify(err: unknown, context: FailureContext, now: number): FieldpassError {
  if (err instanceof FieldpassError) return err;
  const name = (err as { name?: string })?.name;
  // The address of a request that got no answer (see requestOptions), for whoever supports the user.
  const url = (err as { url?: string })?.url;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new FieldpassError('TIMEOUT', `The ${context} request timed out`, { url }, err);
  }
  // fetch rejects with a TypeError when the server is unreachable or CORS blocks the response.
  if (err instanceof TypeError) {
    return new FieldpassError('NETWORK', `The ${context} request could not reach the server`, { url }, err);
  }
  const status = statusOf(err);
  if (status === 429) {
    const retryAt = retryAtFrom(responseOf(err)?.headers ?? new Headers(), now);
    return new FieldpassError('RATE_LIMITED', `The server is limiting ${context} requests`, { status, retryAt }, err);
  }
  if (err instanceof oauth.ResponseBodyError || err instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = err instanceof oauth.WWWAuthenticateChallengeError ? err.cause[0]?.parameters : undefined;
    const details = {
      status,
      error: err instanceof oauth.ResponseBodyError ? err.error : challenge?.error,
      description: err instanceof oauth.ResponseBodyError ? err.error_description : challenge?.error_description,
    };
    let code: FieldpassErrorCode = status !== undefined && status >= 500 ? 'SERVER_ERROR' : 'CODE_REJECTED';
    // A refresh the server refuses for good (invalid_grant, and other 4xx OAuth errors such as
    // invalid_client or invalid_dpop_proof) will not succeed by retrying: the session is over. A
    // DPoP nonce error is only a request to try again.
    const refusedForGood =
      details.error === 'invalid_grant' ||
      (status !== undefined &&
        status >= 400 &&
        status < 500 &&
        details.error !== undefined &&
        details.error !== 'use_dpop_nonce');
    if (context === 'refresh' && refusedForGood) code = 'SESSION_ENDED';
    else if (context !== 'code-exchange' && code === 'CODE_REJECTED') code = 'SERVER_ERROR';
    return new FieldpassError(
      code,
      `The server refused the ${context} request (${details.error ?? status})`,
      details,
      err,
    );
  }
  // oauth4webapi refuses a token_type it does not support (RFC 6749 §7.1) this way.
  if (err instanceof oauth.UnsupportedOperationError) {
    return new FieldpassError(
      'TOKEN_RESPONSE_INVALID',
      `The ${context} response was not usable: ${err.message}`,
      {},
      err,
    );
  }
  if (err instanceof oauth.OperationProcessingError) {
    if (status !== undefined && status >= 500) {
      return new FieldpassError(
        'SERVER_ERROR',
        `The server failed the ${context} request (HTTP ${status})`,
        { status },
        err,
      );
    }
    if (context === 'discovery') {
      return new FieldpassError(
        'DISCOVERY_FAILED',
        `The discovery document was not usable: ${err.message}`,
        { status },
        err,
      );
    }
    return new FieldpassError(
      'TOKEN_RESPONSE_INVALID',
      `The ${context} response was not valid: ${err.message}`,
      { status },
      err,
    );
  }
  return new FieldpassError('SERVER_ERROR', `The ${context} request failed unexpectedly`, { status }, err);
}

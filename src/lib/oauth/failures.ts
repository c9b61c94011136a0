import * as oauth from 'oauth4webapi';
import { FieldpassError, type FieldpassErrorCode, type FieldpassErrorDetails } from '../base/errors.js';
import { isTimeout, retryAt } from '../base/http.js';

/** Where a failure happened, which decides how an OAuth error code is read. */
export type FailureContext = 'discovery' | 'pushed-authorization' | 'code-exchange' | 'refresh' | 'revocation' | 'api';

/**
 * What a refusal (an OAuth error answer below 500) is where it happened: the code refused at the
 * token endpoint, or the sign-in refused at the pushed authorization request endpoint, as it would
 * be at the authorization endpoint (RFC 9126 §2.3). Anywhere else, a server error.
 */
const REFUSED: Partial<Record<FailureContext, FieldpassErrorCode>> = {
  'code-exchange': 'CODE_REJECTED',
  'pushed-authorization': 'SIGN_IN_REJECTED',
};

/** The response an error came from: oauth4webapi keeps it on its error, or as the cause. */
function responseOf(err: unknown): Response | undefined {
  const response = (err as { response?: unknown })?.response ?? (err as { cause?: unknown })?.cause;
  return response instanceof Response ? response : undefined;
}

/**
 * Sorts whatever oauth4webapi, fetch or the server threw into one FieldpassError. Transient kinds
 * (NETWORK, TIMEOUT, SERVER_ERROR) leave stored state alone; the caller decides what else to do.
 */
export function toFieldpassError(err: unknown, context: FailureContext, now = Date.now()): FieldpassError {
  const failure = classify(err, context);
  const details = failure.details;
  // A 429, and a 503 too, may say when to come back (RFC 9110 §10.2.3); a refresh waits at least that long.
  if ((details.status === 429 || details.status === 503) && details.retryAt === undefined) {
    details.retryAt = retryAt(responseOf(err)?.headers, now);
  }
  return failure;
}

function classify(err: unknown, context: FailureContext): FieldpassError {
  if (err instanceof FieldpassError) return err;
  const fail = (code: FieldpassErrorCode, message: string, details: FieldpassErrorDetails = {}) =>
    new FieldpassError(code, `${context}: ${message}`, details, err);
  // The address of a request that got no answer (see requestOptions), for whoever supports the user.
  const url = (err as { url?: string })?.url;
  if (isTimeout(err)) return fail('TIMEOUT', 'timed out', { url });
  // fetch rejects with a TypeError when the server is unreachable or CORS blocks the response.
  if (err instanceof TypeError) return fail('NETWORK', 'unreachable', { url });
  const status = responseOf(err)?.status;
  if (status === 429) return fail('RATE_LIMITED', 'rate limited', { status });
  if (err instanceof oauth.ResponseBodyError || err instanceof oauth.WWWAuthenticateChallengeError) {
    const { error, error_description: description } =
      err instanceof oauth.ResponseBodyError ? err : (err.cause[0]?.parameters ?? {});
    // A refresh the server refuses for good (invalid_grant, and other 4xx OAuth errors such as
    // invalid_client or invalid_dpop_proof) will not succeed by retrying: the session is over. A
    // DPoP nonce error is only a request to try again.
    const refusedForGood =
      error === 'invalid_grant' ||
      (err.status >= 400 && err.status < 500 && error !== undefined && error !== 'use_dpop_nonce');
    return fail(
      context === 'refresh' && refusedForGood
        ? 'SESSION_ENDED'
        : (err.status < 500 && REFUSED[context]) || 'SERVER_ERROR',
      `refused (${error ?? status})`,
      { status, error, description },
    );
  }
  // oauth4webapi refuses a token_type it does not support (RFC 6749 §7.1) this way.
  if (err instanceof oauth.UnsupportedOperationError) return fail('TOKEN_RESPONSE_INVALID', err.message);
  if (err instanceof oauth.OperationProcessingError) {
    if ((status ?? 0) >= 500) return fail('SERVER_ERROR', `HTTP ${status}`, { status });
    return fail(context === 'discovery' ? 'DISCOVERY_FAILED' : 'TOKEN_RESPONSE_INVALID', err.message, { status });
  }
  return fail('SERVER_ERROR', 'failed', { status });
}

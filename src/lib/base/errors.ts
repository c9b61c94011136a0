/**
 * The one error type of the Fieldpass core. `code` is a closed set that the UI maps to hand-written
 * messages; whatever the server or the library said is kept in `details` and `cause` for the
 * details toggle and the console, never rendered as HTML.
 */
export type FieldpassErrorCode =
  /** A configuration value is missing or malformed; `details.variable` names it. */
  | 'CONFIG_INVALID'
  /** An endpoint is plain http on a host that is not loopback. */
  | 'INSECURE_ENDPOINT'
  /** The discovery document could not be fetched or did not validate (issuer mismatch included). */
  | 'DISCOVERY_FAILED'
  /** The callback carries no `state`. */
  | 'STATE_MISSING'
  /** The callback's `state` matches no pending sign-in: forged, already used, or from another browser. */
  | 'STATE_UNKNOWN'
  /** The pending sign-in is older than its 10-minute lifetime. */
  | 'STATE_EXPIRED'
  /** The callback is malformed: duplicate, missing or oversized parameters, or a bad `iss`. */
  | 'CALLBACK_INVALID'
  /** The user declined at the authorization server (`access_denied`). */
  | 'SIGN_IN_CANCELLED'
  /** The authorization server refused the sign-in: another error code at the callback, or a refused pushed request. */
  | 'SIGN_IN_REJECTED'
  /** The token endpoint refused the authorization code (`invalid_grant` and friends). */
  | 'CODE_REJECTED'
  /** The token (or pushed authorization request) endpoint answered with something Fieldpass cannot use. */
  | 'TOKEN_RESPONSE_INVALID'
  /** The server could not be reached, or the browser blocked the response (CORS). */
  | 'NETWORK'
  /** The server took too long to answer. */
  | 'TIMEOUT'
  /** The server answered with an error that is not the user's to fix (5xx, unexpected status). */
  | 'SERVER_ERROR'
  /** The refresh token is no longer accepted: the session is over and must start again. */
  | 'SESSION_ENDED'
  /** No token set is stored. */
  | 'NOT_SIGNED_IN'
  /** IndexedDB is not available (private mode, storage disabled, quota). */
  | 'STORAGE_UNAVAILABLE'
  /** The API refused the token even after one refresh. */
  | 'API_UNAUTHORIZED'
  /** The API needs a scope the user did not grant; `details.scope` names it. */
  | 'INSUFFICIENT_SCOPE'
  /** The API's rate limit is used up; `details.retryAt` says when to try again. */
  | 'RATE_LIMITED'
  /** The API answered with another error. */
  | 'API_ERROR'
  /** Anything else: a defect, not something the user did. */
  | 'UNEXPECTED';

/** One configuration problem: the variable at fault and what is wrong with it. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** What the server said, and which setting or scope is at fault, for the details toggle. */
export interface FieldpassErrorDetails {
  /** The configuration variable at fault. */
  variable?: string;
  /** The address of a request that got no answer (no query string). */
  url?: string;
  /** Every configuration problem found, when there is more than one (`variable` names the first). */
  problems?: ConfigProblem[];
  /** The OAuth `error` code the server sent. */
  error?: string;
  /** The server's `error_description`: plain text for the details toggle only. */
  description?: string;
  /** HTTP status of the response at fault. */
  status?: number;
  /** A scope the API asked for. */
  scope?: string;
  /** When a rate-limited call may be made again (epoch milliseconds). */
  retryAt?: number;
  /** Why a session ended, when more is known than the server's code: `refresh_lost`. */
  reason?: 'refresh_lost';
  /**
   * The resource as the server holds it now, from the `current` member of a 412 answer to a
   * conditional request (RFC 9110 §15.5.13), so a conflict can show both versions. Data, not words.
   */
  current?: unknown;
}

/** A failure of the core, sorted by `code`; the original error is kept in `cause`. */
export class FieldpassError extends Error {
  readonly code: FieldpassErrorCode;
  readonly details: FieldpassErrorDetails;

  constructor(code: FieldpassErrorCode, message: string, details: FieldpassErrorDetails = {}, cause?: unknown) {
    super(message, { cause });
    this.name = 'FieldpassError';
    this.code = code;
    this.details = details;
  }
}

/** True when `value` is a FieldpassError (of `code`, when given). */
export function isFieldpassError(value: unknown, code?: FieldpassErrorCode): value is FieldpassError {
  return value instanceof FieldpassError && (code === undefined || value.code === code);
}

/** Wraps anything that is not already a FieldpassError as UNEXPECTED, keeping it as the cause. */
export function asFieldpassError(value: unknown): FieldpassError {
  return isFieldpassError(value) ? value : new FieldpassError('UNEXPECTED', String(value), {}, value);
}

/**
 * Runs configuration checks one after another and keeps every problem instead of stopping at the
 * first, so whoever configures Fieldpass sees them all at once. `check` returns undefined for a
 * check that failed; `done` throws when anything was found: the one error as it was, or
 * CONFIG_INVALID listing every problem in `details.problems`.
 */
export function collectProblems() {
  const found: FieldpassError[] = [];
  return {
    check<T>(work: () => T): T | undefined {
      try {
        return work();
      } catch (err) {
        if (!isFieldpassError(err) || !err.details.variable) throw err;
        found.push(err);
        return undefined;
      }
    },
    done(): void {
      if (found.length === 1) throw found[0];
      if (found.length) {
        const problems = found.flatMap(
          (err) => err.details.problems ?? [{ variable: err.details.variable!, message: err.message }],
        );
        throw new FieldpassError(
          'CONFIG_INVALID',
          `${problems.length} settings need fixing: ${problems.map((p) => p.variable).join(', ')}`,
          { variable: problems[0].variable, problems },
        );
      }
    },
  };
}

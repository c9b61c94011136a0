import { ServerError } from './errors.js';

/** The errors a caller check ends in, as RFC 6750 §3.1 and RFC 9449 §7.1 name them. */
export type CallerErrorCode = 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof';

// RFC 9110 §5.6.4 quoted-string: backslash-escape quotes and backslashes.
const quote = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`;

/** Why a caller was refused: 401 or 403, with the challenge for `WWW-Authenticate`. */
export class CallerError extends ServerError {
  declare readonly status: 401 | 403;
  declare readonly code: CallerErrorCode;

  constructor(status: 401 | 403, message: string, scope?: string, error?: 'invalid_dpop_proof') {
    const code = error ?? (status === 401 ? 'invalid_token' : 'insufficient_scope');
    const headers = { 'www-authenticate': challengeOf(code, message, scope) };
    super({ status, code, description: message, headers, scope });
  }

  /** The code under its RFC 6750 name. */
  get error(): CallerErrorCode {
    return this.code;
  }

  /** The `WWW-Authenticate` challenge for the response (RFC 6750 §3; RFC 9449 §7.1 for a DPoP proof). */
  get challenge(): string {
    return this.headers['www-authenticate'];
  }
}

function challengeOf(code: CallerErrorCode, message: string, scope: string | undefined): string {
  if (code === 'invalid_dpop_proof') {
    return `DPoP error="invalid_dpop_proof", error_description=${quote(message)}, algs="ES256"`;
  }
  const scopeParameter = scope ? `, scope=${quote(scope)}` : '';
  return `Bearer realm="fieldpass", error="${code}", error_description=${quote(message)}${scopeParameter}`;
}

/**
 * The caller could not be checked because of the server's own set-up or a service it depends on:
 * a 503, never a 401, so the user is not told to sign in again. Its description says only that;
 * `operatorCause` is one line for the log, naming what to fix; it never holds a secret or a token.
 */
export class CallerUnavailableError extends ServerError {
  declare readonly status: 503;
  readonly operatorCause: string;

  constructor(operatorCause: string, cause?: unknown) {
    super({
      status: 503,
      code: 'service_unavailable',
      description: 'This service is unavailable right now.',
      expose: true,
      headers: { 'retry-after': '5' },
      cause,
    });
    this.operatorCause = operatorCause;
  }
}

/**
 * A console.warn that writes each distinct line at most once a minute, so a broken setting that
 * every request runs into is one line in the log, not one per request.
 */
export function createOperatorWarning(
  write: (line: string) => void = (line) => console.warn(line),
  now: () => number = Date.now,
): (line: string) => void {
  const lastWritten = new Map<string, number>();
  return (line) => {
    const at = now();
    if (at - (lastWritten.get(line) ?? -Infinity) < 60_000) return;
    if (lastWritten.size > 100) lastWritten.clear();
    lastWritten.set(line, at);
    write(line);
  };
}

/**
 * The operator warning of the partner route's caller checks, and whether one was due within the
 * last minute: /readyz reports the checks degraded meanwhile (introspection unreachable or
 * refusing the route's credentials, the issuer's keys unreadable, the replay store down).
 */
export function createCallerProblems(warn = createOperatorWarning(), now: () => number = Date.now) {
  let lastAt = -Infinity;
  return {
    warn(line: string): void {
      lastAt = now();
      warn(line);
    },
    /** True when no caller was refused for a problem on the server's side in the last minute. */
    clear(): boolean {
      return now() - lastAt >= 60_000;
    },
  };
}

import { json } from '@sveltejs/kit';

// The server's one error shape, after oidc-provider's errors.js and err_out.js: every refusal is a
// ServerError, and errorResponse turns anything thrown into the OAuth error body (RFC 6749 §5.2,
// RFC 6750 §3). Only errors meant for the caller show their code and description.

/** What a ServerError is built from. */
export interface ServerErrorOptions {
  status: number;
  /** The `error` field: a stable code such as `invalid_token` or `upstream_timeout`. */
  code: string;
  /** The `error_description` field: written for the caller, never holding a secret or a token. */
  description: string;
  /** Whether the caller sees the code and description; by default only below 500. */
  expose?: boolean;
  /** Headers the answer carries whether or not it is exposed: WWW-Authenticate, Retry-After, … */
  headers?: Record<string, string>;
  /** The scope a token lacks (RFC 6750 §3), sent beside the code. */
  scope?: string;
  cause?: unknown;
}

/** A refusal by the server, with its HTTP status and the code and description for the caller. */
export class ServerError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly scope?: string;

  constructor({ status, code, description, expose = status < 500, headers = {}, scope, cause }: ServerErrorOptions) {
    super(description, { cause });
    this.status = status;
    this.code = code;
    this.expose = expose;
    this.headers = headers;
    this.scope = scope;
  }

  /** The `error_description` the caller reads. */
  get description(): string {
    return this.message;
  }
}

/** The code and description of every error not meant for the caller. */
export const SERVER_ERROR_CODE = 'server_error';
const SERVER_ERROR_DESCRIPTION = 'The server hit an unexpected problem.';

/**
 * The JSON answer for anything thrown: `{ error, error_description }` (and `scope` when a token
 * lacks one), no-store. A ServerError that is not exposed, and anything else, is a generic
 * `server_error`: its status (500 for anything else) and its headers are kept, its words are not.
 */
export function errorResponse(err: unknown): Response {
  const known = err instanceof ServerError ? err : undefined;
  const headers = { ...known?.headers, 'cache-control': 'no-store' };
  const body = known?.expose
    ? { error: known.code, error_description: known.description, ...(known.scope ? { scope: known.scope } : {}) }
    : { error: SERVER_ERROR_CODE, error_description: SERVER_ERROR_DESCRIPTION };
  return json(body, { status: known?.status ?? 500, headers });
}

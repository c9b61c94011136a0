import * as oauth from 'oauth4webapi';
import type { ServerEndpoints } from '../oauth/authorization-server.js';
import { httpOptions } from '../oauth/endpoints.js';
import { splitScopes } from '../oauth/scopes.js';

/** How far past `exp` (or before `iat`/`nbf`) a caller's token is still accepted. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** Why a caller was refused, as RFC 6750 §3.1 names it. */
export class CallerError extends Error {
  readonly status: 401 | 403;
  readonly error: 'invalid_token' | 'insufficient_scope';
  readonly scope?: string;

  constructor(status: 401 | 403, message: string, scope?: string) {
    super(message);
    this.status = status;
    this.error = status === 401 ? 'invalid_token' : 'insufficient_scope';
    this.scope = scope;
  }

  /** The `WWW-Authenticate` challenge for the response (RFC 6750 §3). */
  get challenge(): string {
    // RFC 9110 §5.6.4 quoted-string: backslash-escape quotes and backslashes.
    const quote = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`;
    const scope = this.scope ? `, scope=${quote(this.scope)}` : '';
    return `Bearer realm="fieldpass", error="${this.error}", error_description=${quote(this.message)}${scope}`;
  }
}

/** The signed-in user behind a request. */
export interface Caller {
  sub: string;
  scopes: string[];
}

/**
 * The user behind a request: their Fentu access token from the Authorization header, validated
 * by oauth4webapi as an RFC 9068 JWT against the issuer's JWKS — signature, `iss`, `aud`, `exp`.
 * A missing, invalid or expired token is a 401 (RFC 6750 §3.1). `server` is asked for only when
 * there is a token to check, so an anonymous request causes no outbound request (discovery).
 */
export async function verifyCaller(
  request: Request,
  server: () => Promise<ServerEndpoints>,
  audience: string,
): Promise<Caller> {
  if (!request.headers.get('authorization'))
    throw new CallerError(401, 'Sign in first: the request has no access token');
  const metadata = await server();
  try {
    const claims = await oauth.validateJwtAccessToken(metadata, request, audience, {
      ...httpOptions(metadata.jwks_uri),
      // Server to server, clocks in step: 5 s of leeway, not the library's 30 s for devices.
      [oauth.clockTolerance]: CLOCK_TOLERANCE_SECONDS,
    });
    return { sub: claims.sub, scopes: splitScopes(typeof claims.scope === 'string' ? claims.scope : '') };
  } catch {
    throw new CallerError(401, 'The access token is invalid or expired');
  }
}

/** True when the caller holds `scope`, or Fentu's `admin`, which allows everything. */
export function hasScope(caller: Caller, scope: string): boolean {
  return caller.scopes.includes(scope) || caller.scopes.includes('admin');
}

/** Refuses a caller without `scope` (or Fentu's `admin`) with 403 insufficient_scope. */
export function requireScope(caller: Caller, scope: string): void {
  if (!hasScope(caller, scope)) {
    throw new CallerError(403, `This needs the ${scope} permission`, scope);
  }
}

import * as oauth from 'oauth4webapi';
import type { ServerEndpoints } from '../oauth/authorization-server.js';
import { httpOptions, isTimeout, type FetchLike } from '../base/http.js';
import { grants, splitScopes } from '../oauth/scopes.js';
import type { CallerConfig } from './caller-config.js';
import { CallerError, CallerUnavailableError } from './caller-errors.js';
import { acceptProofOnce, proofClaims, verifyDpopProof, type ProofClaims } from './dpop-proof.js';
import { introspect } from './introspection.js';
import type { ReplayGuard, ShortCache } from './short-state.js';

/** How far past `exp` (or before `iat`/`nbf`) a caller's token is still accepted. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** The signed-in user behind a request. */
export interface Caller {
  sub: string;
  scopes: string[];
}

/** What checking callers needs: the server's metadata, the settings and the short-lived state. */
export interface CallerDeps {
  /** The authorization server's metadata; asked for only when there is a token to check. */
  server: () => Promise<ServerEndpoints>;
  /** The `aud` the token must carry: the Fentu API. */
  audience: string;
  config: CallerConfig;
  /** Introspection answers, keyed by a hash of the token. */
  cache: ShortCache;
  /** DPoP proofs already accepted. */
  replay: ReplayGuard;
  /** The operator's log for server-side problems (one line each, no secret or token). */
  warn: (line: string) => void;
  fetch?: FetchLike;
  /** Epoch milliseconds; tests pass a fake clock. */
  now?: () => number;
}

/** A token that is a JWS in compact form: three base64url parts. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const CREDENTIALS = /^(bearer|dpop) +([A-Za-z0-9\-._~+/]+=*)$/i;

interface CheckedToken {
  sub: string;
  scope: string;
  /** The key the token is bound to (RFC 9449 §6), and the request's verified proof. */
  jkt?: string;
  proof?: ProofClaims;
}

const invalidToken = () => new CallerError(401, 'The access token is invalid or expired');

/**
 * True when validating failed for want of the issuer's keys: the JWKS request did not reach the
 * server or time out (a TypeError or AbortError from fetch), or the server answered it with an
 * error (oauth4webapi keeps that answer as the cause). A token that is wrong is never this.
 */
function keysUnreadable(err: unknown): boolean {
  if (err instanceof TypeError || isTimeout(err)) return true;
  const cause = (err as { cause?: unknown })?.cause;
  return cause instanceof Response && !cause.ok;
}

/** Validated locally as an RFC 9068 JWT by oauth4webapi: signature, `iss`, `aud`, `exp`, and the DPoP proof when bound. */
async function checkJwt(request: Request, deps: CallerDeps): Promise<CheckedToken> {
  const metadata = await deps.server();
  let claims: oauth.JWTAccessTokenClaims;
  try {
    claims = await oauth.validateJwtAccessToken(metadata, request, deps.audience, {
      ...httpOptions(metadata.jwks_uri),
      // Server to server, clocks in step: 5 s of leeway, not the library's 30 s for devices.
      [oauth.clockTolerance]: CLOCK_TOLERANCE_SECONDS,
      ...(deps.fetch ? { [oauth.customFetch]: deps.fetch } : {}),
    });
  } catch (err) {
    // The issuer's keys could not be read: the server's problem, not the caller's (503, not 401).
    if (keysUnreadable(err)) throw new CallerUnavailableError("the authorization server's JWKS could not be read", err);
    throw invalidToken();
  }
  const jkt = typeof claims.cnf?.jkt === 'string' ? claims.cnf.jkt : undefined;
  // oauth4webapi has verified the proof whenever there is one or the token is bound.
  const proof = jkt || request.headers.has('dpop') ? proofClaims(request) : undefined;
  return { sub: claims.sub, scope: typeof claims.scope === 'string' ? claims.scope : '', jkt, proof };
}

/**
 * Asked of the authorization server (RFC 7662): an active answer with a `sub` is then held to
 * the claims it carries — `exp`, `iss` and `aud` are checked when present, as RFC 7662 makes them
 * optional and many servers leave them out; the server's own `active` is the decisive answer.
 */
async function checkIntrospected(
  request: Request,
  token: string,
  dpop: boolean,
  deps: CallerDeps,
): Promise<CheckedToken> {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const answer = await introspect(token, { ...deps, client: config.introspection!, now });
  if (!answer.active || !answer.sub) throw invalidToken();
  const metadata = await deps.server();
  const audiences = typeof answer.aud === 'string' ? [answer.aud] : answer.aud;
  const nowSeconds = Math.floor(now() / 1000);
  if (
    (answer.exp !== undefined && answer.exp + CLOCK_TOLERANCE_SECONDS < nowSeconds) ||
    (answer.iss !== undefined && answer.iss !== metadata.issuer) ||
    (audiences !== undefined && !audiences.includes(deps.audience)) ||
    (answer.token_type !== undefined && !/^(bearer|dpop)$/i.test(answer.token_type))
  )
    throw invalidToken();
  const jkt = answer.cnf?.jkt;
  if (!jkt && (dpop || request.headers.has('dpop'))) throw invalidToken();
  if (jkt && !dpop) throw new CallerError(401, 'This access token must be sent with a DPoP proof');
  const proof = jkt ? await verifyDpopProof(request, token, jkt, nowSeconds) : undefined;
  return { sub: answer.sub, scope: answer.scope ?? '', jkt, proof };
}

/** Which check a token gets: FENTU_ACCESS_TOKEN_FORMAT, and for `auto` the token's shape. */
function checkToken(request: Request, token: string, dpop: boolean, deps: CallerDeps): Promise<CheckedToken> {
  const { tokenFormat, formatChosen, introspection } = deps.config;
  const jwtShaped = JWT_SHAPE.test(token);
  if (tokenFormat === 'jwt' && !jwtShaped && !formatChosen) {
    // Without settings the route assumes JWTs; a token of another shape most likely means the
    // server issues opaque tokens, which is the operator's to fix, not the user's.
    throw new CallerUnavailableError(
      'a caller sent an access token that is not a JWT and token introspection is not configured: set FENTU_INTROSPECTION_CLIENT_ID and FENTU_INTROSPECTION_CLIENT_SECRET (or FENTU_ACCESS_TOKEN_FORMAT=jwt to refuse such tokens with 401)',
    );
  }
  if (tokenFormat === 'jwt' || (tokenFormat === 'auto' && jwtShaped)) return checkJwt(request, deps);
  if (!introspection) throw new CallerUnavailableError('introspection is needed but FENTU_INTROSPECTION_* is not set');
  return checkIntrospected(request, token, dpop, deps);
}

/**
 * The user behind a request: their Fentu access token from the Authorization header, validated
 * as an RFC 9068 JWT against the issuer's JWKS, or introspected at the authorization server
 * (RFC 7662), as FENTU_ACCESS_TOKEN_FORMAT says; a DPoP-bound token needs a valid proof, each
 * accepted once (RFC 9449 §11.1). A missing, invalid or expired token or proof is a 401
 * (RFC 6750 §3.1, RFC 9449 §7.1); a problem on the server's side is CallerUnavailableError (503),
 * whose cause goes to `deps.warn`. An anonymous request causes no outbound request.
 */
export async function verifyCaller(request: Request, deps: CallerDeps): Promise<Caller> {
  const authorization = request.headers.get('authorization');
  if (!authorization) throw new CallerError(401, 'Sign in first: the request has no access token');
  const credentials = CREDENTIALS.exec(authorization);
  if (!credentials) throw invalidToken();
  const [, scheme, token] = credentials;
  try {
    const checked = await checkToken(request, token, scheme.toLowerCase() === 'dpop', deps);
    if (checked.proof) {
      const nowSeconds = Math.floor((deps.now ?? Date.now)() / 1000);
      await acceptProofOnce(deps.replay, checked.proof, checked.jkt, nowSeconds);
    }
    return { sub: checked.sub, scopes: splitScopes(checked.scope) };
  } catch (err) {
    if (err instanceof CallerUnavailableError) deps.warn(`[m2m] caller check unavailable: ${err.operatorCause}`);
    throw err;
  }
}

/** True when the caller holds `scope`, or Fentu's `admin`, which allows everything. */
export function hasScope(caller: Caller, scope: string): boolean {
  return grants(caller.scopes, scope);
}

/** Refuses a caller without `scope` (or Fentu's `admin`) with 403 insufficient_scope. */
export function requireScope(caller: Caller, scope: string): void {
  if (!hasScope(caller, scope)) {
    throw new CallerError(403, `This needs the ${scope} permission`, scope);
  }
}

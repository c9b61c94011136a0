import { CallerError, CallerUnavailableError } from './caller-errors.js';
import type { ReplayGuard } from './short-state.js';
import { dpopReplayRefusals } from './metrics.js';

/**
 * How far a DPoP proof's `iat` may be from now, either way, in seconds: the window oauth4webapi's
 * `validateJwtAccessToken` allows (RFC 9449 §11.1 leaves it to the server). The route checks it
 * too, so the time a proof is remembered always covers the time it would be accepted.
 */
export const DPOP_PROOF_WINDOW_SECONDS = 300;

/** The claims of a DPoP proof the route uses once the proof is verified (RFC 9449 §4.2). */
export interface ProofClaims {
  jti: string;
  iat: number;
  htu: string;
}

const encoder = new TextEncoder();

function b64u(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString('base64url');
}

function decodePart(part: string | undefined): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}

/** `htu` compared without query and fragment (RFC 9449 §4.3). */
function withoutQuery(url: string): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

async function sha256(text: string): Promise<string> {
  return b64u(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

const refuse = (message: string) => new CallerError(401, message, undefined, 'invalid_dpop_proof');

/** The proof's claims, read from a proof already verified; refuses one without a usable `jti` or `iat`. */
export function proofClaims(request: Request): ProofClaims {
  let payload: Record<string, unknown>;
  try {
    payload = decodePart(request.headers.get('dpop')?.split('.')[1]);
  } catch {
    throw refuse('The DPoP proof cannot be read');
  }
  const { jti, iat, htu } = payload;
  if (typeof jti !== 'string' || !jti || typeof iat !== 'number' || typeof htu !== 'string') {
    throw refuse('The DPoP proof lacks jti, iat or htu');
  }
  return { jti, iat, htu };
}

/**
 * Verifies the request's DPoP proof for an introspected access token bound to the key `jkt`
 * (RFC 9449 §4.3, §7.1): one proof, `typ` dpop+jwt, ES256, a public P-256 `jwk` whose thumbprint
 * (RFC 7638) is `jkt`, the signature, `htm`, `htu`, `ath` and a recent `iat`.
 */
export async function verifyDpopProof(
  request: Request,
  accessToken: string,
  jkt: string,
  nowSeconds: number,
): Promise<ProofClaims> {
  const proof = request.headers.get('dpop');
  const parts = proof?.split('.') ?? [];
  if (parts.length !== 3) throw refuse('The request has no DPoP proof, or more than one');
  let header: Record<string, unknown>;
  try {
    header = decodePart(parts[0]);
  } catch {
    throw refuse('The DPoP proof cannot be read');
  }
  const claims = proofClaims(request);
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256') throw refuse('The DPoP proof must be an ES256 dpop+jwt');
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string' || 'd' in jwk)
    throw refuse('The DPoP proof must carry a public P-256 key');
  const payload = decodePart(parts[1]);
  if (payload.htm !== request.method || withoutQuery(claims.htu) !== withoutQuery(request.url))
    throw refuse('The DPoP proof is for another request');
  if (Math.abs(nowSeconds - claims.iat) > DPOP_PROOF_WINDOW_SECONDS) throw refuse('The DPoP proof is not recent');
  if (payload.ath !== (await sha256(accessToken))) throw refuse('The DPoP proof is for another access token');
  const thumbprint = await sha256(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }));
  if (thumbprint !== jkt) throw refuse('The DPoP proof is signed by a key the access token is not bound to');
  const key = await crypto.subtle.importKey(
    'jwk',
    { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y },
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['verify'],
  );
  const signed = await crypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    Buffer.from(parts[2], 'base64url'),
    encoder.encode(`${parts[0]}.${parts[1]}`),
  );
  if (!signed) throw refuse('The DPoP proof signature does not verify');
  return claims;
}

/**
 * Accepts each proof once (RFC 9449 §11.1): its `jti` is remembered, keyed by a hash of the key
 * thumbprint (or, without one, `htu`) and the `jti`, until its `iat` is out of the acceptance
 * window; a second use is 401 invalid_dpop_proof. When the guard's store cannot answer, the request
 * is refused with 503: without the store a replay cannot be told apart, so it fails closed, and it
 * is not the caller's fault, so it is not a 401 telling them to sign in again.
 */
export async function acceptProofOnce(
  guard: ReplayGuard,
  proof: ProofClaims,
  jkt: string | undefined,
  nowSeconds: number,
): Promise<void> {
  if (Math.abs(nowSeconds - proof.iat) > DPOP_PROOF_WINDOW_SECONDS) throw refuse('The DPoP proof is not recent');
  const key = `dpop-jti:${await sha256(`${jkt ?? withoutQuery(proof.htu)}\n${proof.jti}`)}`;
  // Until iat + window has passed, plus a second for the whole-second clock the window is measured on.
  const ttlMs = (proof.iat + DPOP_PROOF_WINDOW_SECONDS + 1 - nowSeconds) * 1000;
  let first: boolean;
  try {
    first = await guard.firstUse(key, ttlMs);
  } catch (err) {
    // Fail closed: a store that cannot answer cannot tell a replay from a first use. 503, not 401.
    throw new CallerUnavailableError(
      'the DPoP replay store did not answer; DPoP requests are refused until it does',
      err,
    );
  }
  if (!first) {
    dpopReplayRefusals.inc();
    throw refuse('This DPoP proof was already used');
  }
}

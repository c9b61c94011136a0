// Bearer-token checks shared by the sandbox's APIs: JWT access tokens from the sandbox issuer,
// validated by oauth4webapi against its JWKS (RFC 9068), or opaque ones asked of the issuer by
// introspection (RFC 7662) with their DPoP proof checked here, with RFC 6750 challenges on failure.

import { createHash, createPublicKey, verify } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { SETTINGS } from './settings.js';

let metadata;

async function authorizationServer() {
  // Cached after the first success; the issuer runs in the same process on loopback http.
  metadata ??= await oauth
    .discoveryRequest(new URL(SETTINGS.issuer), { [oauth.allowInsecureRequests]: true })
    .then((response) => oauth.processDiscoveryResponse(new URL(SETTINGS.issuer), response));
  return metadata;
}

/** A `WWW-Authenticate` challenge (RFC 6750 §3), in the DPoP scheme for DPoP requests (RFC 9449 §7.1). */
export function challenge(error, description, extra = '', scheme = 'Bearer') {
  const params = error ? `, error="${error}", error_description="${description}"${extra}` : '';
  const algs = scheme === 'DPoP' ? ', algs="ES256"' : '';
  return `${scheme} realm="sandbox"${algs}${params}`;
}

/** The scheme the request used, for the challenge: DPoP when it sent a DPoP token or proof. */
export function schemeOf(req) {
  return /^dpop /i.test(req.headers.authorization ?? '') || req.headers.dpop ? 'DPoP' : 'Bearer';
}

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const json = (part) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));

/** RFC 9449 §4.3 for an introspected token bound to `jkt`: ES256 proof, key, signature, htm, htu, ath, iat. */
function checkProof(request, token, jkt) {
  const proof = request.headers.get('dpop') ?? '';
  const [header, payload, signature] = proof.split('.');
  const { typ, alg, jwk } = json(header);
  const claims = json(payload);
  const { kty, crv, x, y } = jwk ?? {};
  const thumbprint = b64u(createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest());
  const htu = (url) => url.split(/[?#]/)[0];
  const ok =
    typ === 'dpop+jwt' &&
    alg === 'ES256' &&
    thumbprint === jkt &&
    claims.htm === request.method &&
    htu(String(claims.htu)) === htu(request.url) &&
    claims.ath === b64u(createHash('sha256').update(token).digest()) &&
    Math.abs(Date.now() / 1000 - claims.iat) <= 300 &&
    verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key: createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
  if (!ok) throw new Error('DPoP proof check failed');
}

/** An opaque token's claims, from the issuer's introspection endpoint, as the sandbox's introspection client. */
async function introspected(request, audience) {
  const [scheme, token] = request.headers.get('authorization').split(' ');
  const as = await authorizationServer();
  const client = { client_id: SETTINGS.introspectionClient.clientId };
  const auth = oauth.ClientSecretBasic(SETTINGS.introspectionClient.secret);
  const response = await oauth.introspectionRequest(as, client, auth, token, { [oauth.allowInsecureRequests]: true });
  const claims = await oauth.processIntrospectionResponse(as, client, response);
  const audiences = [claims.aud].flat();
  if (!claims.active || !audiences.includes(audience)) throw new Error('inactive or for another audience');
  const jkt = claims.cnf?.jkt;
  if (Boolean(jkt) !== (scheme.toLowerCase() === 'dpop')) throw new Error('DPoP binding does not match the scheme');
  if (jkt) checkProof(request, token, jkt);
  return claims;
}

/** The token's claims, or `failure: [challenge, description]` when it is missing, invalid or expired. */
export async function authenticate(req, baseUrl, audience) {
  const request = new Request(new URL(req.url, baseUrl), { method: req.method, headers: req.headers });
  if (!request.headers.get('authorization'))
    return { failure: [challenge(undefined, undefined, '', schemeOf(req)), 'The request has no access token.'] };
  try {
    const token = request.headers.get('authorization').split(' ')[1] ?? '';
    const claims =
      token.split('.').length === 3
        ? await oauth.validateJwtAccessToken(await authorizationServer(), request, audience, {
            [oauth.allowInsecureRequests]: true,
          })
        : await introspected(request, audience);
    return { claims };
  } catch (err) {
    const expired = err?.code === oauth.JWT_TIMESTAMP_CHECK;
    const description = expired ? 'The access token expired' : 'The access token is invalid';
    return { failure: [challenge('invalid_token', description, '', schemeOf(req)), description] };
  }
}

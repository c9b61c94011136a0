// Bearer-token checks shared by the sandbox's APIs: JWT access tokens from the sandbox issuer,
// validated by oauth4webapi against its JWKS (RFC 9068), with RFC 6750 challenges on failure.

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

/** The token's claims, or `failure: [challenge, description]` when it is missing, invalid or expired. */
export async function authenticate(req, baseUrl, audience) {
  const request = new Request(new URL(req.url, baseUrl), { method: req.method, headers: req.headers });
  if (!request.headers.get('authorization'))
    return { failure: [challenge(undefined, undefined, '', schemeOf(req)), 'The request has no access token.'] };
  try {
    const claims = await oauth.validateJwtAccessToken(await authorizationServer(), request, audience, {
      [oauth.allowInsecureRequests]: true,
    });
    return { claims };
  } catch (err) {
    const expired = err?.code === oauth.JWT_TIMESTAMP_CHECK;
    const description = expired ? 'The access token expired' : 'The access token is invalid';
    return { failure: [challenge('invalid_token', description, '', schemeOf(req)), description] };
  }
}

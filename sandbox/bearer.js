// Bearer-token checks shared by the sandbox's APIs: JWT access tokens from the sandbox issuer,
// validated by oauth4webapi against its JWKS (RFC 9068), with RFC 6750 challenges on failure.

import * as oauth from 'oauth4webapi';
import { readBody } from './http.js';
import { SETTINGS } from './settings.js';

let metadata;

async function authorizationServer() {
  // Cached after the first success; the issuer runs in the same process on loopback http.
  metadata ??= await oauth
    .discoveryRequest(new URL(SETTINGS.issuer), { [oauth.allowInsecureRequests]: true })
    .then((response) => oauth.processDiscoveryResponse(new URL(SETTINGS.issuer), response));
  return metadata;
}

/** A `WWW-Authenticate: Bearer` challenge (RFC 6750 §3). */
export function challenge(error, description, extra = '') {
  const params = error ? `, error="${error}", error_description="${description}"${extra}` : '';
  return `Bearer realm="sandbox"${params}`;
}

/** The token's claims, or `failure: [challenge, description]` when it is missing, invalid or expired. */
export async function authenticate(req, baseUrl, audience) {
  const request = new Request(new URL(req.url, baseUrl), { method: req.method, headers: req.headers });
  if (!request.headers.get('authorization')) return { failure: [challenge(), 'The request has no access token.'] };
  try {
    const claims = await oauth.validateJwtAccessToken(await authorizationServer(), request, audience, {
      [oauth.allowInsecureRequests]: true,
    });
    return { claims };
  } catch (err) {
    const expired = err?.code === oauth.JWT_TIMESTAMP_CHECK;
    const description = expired ? 'The access token expired' : 'The access token is invalid';
    return { failure: [challenge('invalid_token', description), description] };
  }
}

/** Reads a JSON request body of at most 64 KB. */
export async function readJson(req) {
  return JSON.parse(await readBody(req));
}

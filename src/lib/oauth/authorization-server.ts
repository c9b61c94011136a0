import * as oauth from 'oauth4webapi';
import type { ClientConfig } from './config.js';
import { assertSecureEndpoint, requestOptions } from '../base/http.js';
import { FieldpassError } from '../base/errors.js';
import { toFieldpassError } from './failures.js';
import type { CoreRuntime } from './runtime.js';

/**
 * The part of the server's metadata Fieldpass keeps with a pending sign-in and a session, so the
 * callback and refresh never need discovery again. Both endpoints are required here.
 */
export interface ServerEndpoints extends oauth.AuthorizationServer {
  authorization_endpoint: string;
  token_endpoint: string;
}

/** The endpoints kept: each must be https, or plain http on loopback. */
const KEPT_ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'jwks_uri',
  'pushed_authorization_request_endpoint',
  'introspection_endpoint',
] as const;

/**
 * Everything kept of the metadata. The two flags are kept as the server wrote them: any truthy
 * value counts as true, which only makes Fieldpass stricter (`iss` required, PAR required).
 */
const KEPT = [
  ...KEPT_ENDPOINTS,
  'issuer',
  'code_challenge_methods_supported',
  'scopes_supported',
  'dpop_signing_alg_values_supported',
  'authorization_response_iss_parameter_supported',
  'require_pushed_authorization_requests',
] as const;

function pick(as: oauth.AuthorizationServer): ServerEndpoints {
  if (!as.authorization_endpoint || !as.token_endpoint) {
    throw new FieldpassError('DISCOVERY_FAILED', 'No authorization_endpoint or token_endpoint');
  }
  const endpoints = Object.fromEntries(KEPT.map((name) => [name, as[name]])) as ServerEndpoints;
  for (const field of KEPT_ENDPOINTS) {
    if (endpoints[field]) assertSecureEndpoint(endpoints[field], `the server's ${field}`);
  }
  return endpoints;
}

/**
 * The server's endpoints: from the configuration when they were entered by hand, otherwise from
 * its discovery document, whose `issuer` must equal the configured one exactly (RFC 8414 §3.3).
 * OpenID Connect discovery is tried first, then RFC 8414's well-known path.
 */
export async function resolveAuthorizationServer(config: ClientConfig, runtime: CoreRuntime): Promise<ServerEndpoints> {
  if (config.endpoints) return pick({ issuer: config.issuer, ...config.endpoints });
  const issuer = new URL(config.issuer);
  let firstError: unknown;
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    try {
      const response = await oauth.discoveryRequest(issuer, { ...requestOptions(runtime, issuer), algorithm });
      return pick(await oauth.processDiscoveryResponse(issuer, response));
    } catch (err) {
      if (err instanceof FieldpassError) throw err;
      const failure = toFieldpassError(err, 'discovery');
      if (failure.code === 'NETWORK' || failure.code === 'TIMEOUT') throw failure;
      firstError ??= failure;
    }
  }
  throw firstError;
}

import * as oauth from 'oauth4webapi';
import type { ClientConfig } from './config.js';
import { assertSecureEndpoint } from './endpoints.js';
import { FieldpassError } from './errors.js';
import { toFieldpassError } from './failures.js';
import { requestOptions, type CoreRuntime } from './runtime.js';

/**
 * The part of the server's metadata Fieldpass keeps with a pending sign-in and a session, so the
 * callback and refresh never need discovery again. Both endpoints are required here.
 */
export interface ServerEndpoints extends oauth.AuthorizationServer {
  authorization_endpoint: string;
  token_endpoint: string;
}

function pick(as: oauth.AuthorizationServer): ServerEndpoints {
  if (!as.authorization_endpoint || !as.token_endpoint) {
    throw new FieldpassError('DISCOVERY_FAILED', 'No authorization_endpoint or token_endpoint');
  }
  const endpoints: ServerEndpoints = {
    issuer: as.issuer,
    authorization_endpoint: as.authorization_endpoint,
    token_endpoint: as.token_endpoint,
    revocation_endpoint: as.revocation_endpoint,
    authorization_response_iss_parameter_supported: as.authorization_response_iss_parameter_supported === true,
    code_challenge_methods_supported: as.code_challenge_methods_supported,
    scopes_supported: as.scopes_supported,
    jwks_uri: as.jwks_uri,
    dpop_signing_alg_values_supported: as.dpop_signing_alg_values_supported,
  };
  for (const field of ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint', 'jwks_uri'] as const) {
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

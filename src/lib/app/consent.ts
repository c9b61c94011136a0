import { resolveAuthorizationServer, type ServerEndpoints } from '../oauth/authorization-server.js';
import type { ClientConfig } from '../oauth/config.js';
import { parEndpoint } from '../oauth/sign-in.js';
import { browserRuntime } from './runtime.js';

/**
 * The configured authorization server's endpoints, for the consent screen; the sign-in itself
 * starts with `sessionState.beginSignIn`. A server that takes only pushed requests while
 * PUBLIC_FENTU_PAR is off is refused here, before the form is shown. Only the consent screen
 * loads this module, so other pages do not carry discovery.
 */
export async function authorizationServer(config: ClientConfig): Promise<ServerEndpoints> {
  const server = await resolveAuthorizationServer(config, browserRuntime());
  parEndpoint(server, config.par);
  return server;
}

import { M2M_PROVIDERS } from '$app/env/private';
import { clientEnv } from '../config.js';
import { resolveAuthorizationServer, type ServerEndpoints } from '../oauth/authorization-server.js';
import { parseClientConfig, usesSandbox, type ClientConfig } from '../oauth/config.js';
import { createMemoryStore } from '../storage/record-store.js';
import { createM2mClient, type M2mClient } from './m2m.js';
import { parseM2mProviders, type M2mEnv } from './m2m-config.js';
import { SANDBOX_M2M_ENV } from './sandbox-providers.js';

/** Everything the server side needs, built once from the environment. */
export interface ServerContext {
  client: ClientConfig;
  m2m: M2mClient;
  /** The Fentu authorization server's metadata, for verifying callers' tokens. Fetched once. */
  authorizationServer(): Promise<ServerEndpoints>;
}

let context: ServerContext | undefined;

/**
 * M2M_* from the environment; the sandbox's providers when neither they nor a Fentu server are set.
 * The M2M_<NAME>_* names are the operator's choice, so SvelteKit cannot declare them in src/env.ts:
 * they come from the process environment.
 */
function m2mEnv(): M2mEnv {
  if (M2M_PROVIDERS === undefined && usesSandbox(clientEnv())) return SANDBOX_M2M_ENV;
  return { ...process.env, M2M_PROVIDERS };
}

/** Validates the machine-to-machine configuration at start-up; throws CONFIG_INVALID naming the variable. */
export function checkServerConfig(): void {
  parseM2mProviders(m2mEnv());
}

/**
 * The server configuration, validated on first use: the Fentu client settings (PUBLIC_FENTU_*) and
 * the machine-to-machine providers (M2M_*, server-only: never sent to the browser).
 * Throws CONFIG_INVALID naming the variable at fault. `appOrigin` is where the app is served.
 */
export function serverContext(appOrigin: string): ServerContext {
  if (context) return context;
  const client = parseClientConfig(clientEnv(), appOrigin);
  const m2m = createM2mClient(parseM2mProviders(m2mEnv()));
  let metadata: Promise<ServerEndpoints> | undefined;
  context = {
    client,
    m2m,
    authorizationServer() {
      metadata ??= resolveAuthorizationServer(client, { store: createMemoryStore() }).catch((err) => {
        metadata = undefined; // not cached: the next caller tries again
        throw err;
      });
      return metadata;
    },
  };
  return context;
}

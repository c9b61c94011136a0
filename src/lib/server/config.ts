import { INSPECT_CONNECT_ORIGINS, M2M_CACHE_KEY, M2M_PROVIDERS, REDIS_URL } from '$app/env/private';
import { clientEnv } from '../config.js';
import { resolveAuthorizationServer, type ServerEndpoints } from '../oauth/authorization-server.js';
import type { ClientConfig } from '../oauth/config.js';
import { createMemoryStore } from './memory-store.js';
import { createM2mClient, type M2mClient } from './m2m.js';
import { readSettings, type Environment } from './settings.js';
import { createMemoryState, createRedisState, type SharedState } from './shared-state.js';

/** Everything the server side needs, built once from the environment. */
export interface ServerContext {
  client: ClientConfig;
  m2m: M2mClient;
  /** Service tokens, locks and limits: in Redis when REDIS_URL is set, else this process's memory. */
  sharedState: SharedState;
  /** Extra origins the developer inspector may call from the browser. */
  inspectOrigins: string[];
  /** The Fentu authorization server's metadata, for verifying callers' tokens. Fetched once. */
  authorizationServer(): Promise<ServerEndpoints>;
}

let context: ServerContext | undefined;

/**
 * The server's environment: the variables declared in src/env.ts as SvelteKit hands them over, and
 * the rest of the process environment. The M2M_<NAME>_* names are the operator's choice, so
 * SvelteKit cannot declare them; `npm start` and `vite` fill the process environment from `.env`.
 */
export function serverEnvironment(): Environment {
  return { ...process.env, ...clientEnv(), M2M_PROVIDERS, INSPECT_CONNECT_ORIGINS, REDIS_URL, M2M_CACHE_KEY };
}

/**
 * The server configuration, validated on first use: the Fentu client settings (PUBLIC_FENTU_*),
 * the machine-to-machine providers (M2M_*, server-only: never sent to the browser) and the
 * inspector's origins. Throws CONFIG_INVALID naming every variable at fault. `appOrigin` is where
 * the app is served.
 */
export function serverContext(appOrigin: string): ServerContext {
  if (context) return context;
  const { client, providers, inspectOrigins, sharedState: shared } = readSettings(serverEnvironment(), appOrigin);
  const sharedState = shared ? createRedisState(shared) : createMemoryState();
  // adapter-node's signal that the server is shutting down.
  process.once('sveltekit:shutdown', () => void sharedState.close());
  let metadata: Promise<ServerEndpoints> | undefined;
  context = {
    client,
    m2m: createM2mClient(providers, { state: sharedState }),
    sharedState,
    inspectOrigins,
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

import {
  FENTU_ACCESS_TOKEN_FORMAT,
  FENTU_INTROSPECTION_AUTH_METHOD,
  FENTU_INTROSPECTION_CLIENT_ID,
  FENTU_INTROSPECTION_CLIENT_SECRET,
  FENTU_INTROSPECTION_ENDPOINT,
  INSPECT_CONNECT_ORIGINS,
  M2M_PROVIDERS,
} from '$app/env/private';
import { clientEnv } from '../config.js';
import { resolveAuthorizationServer, type ServerEndpoints } from '../oauth/authorization-server.js';
import type { ClientConfig } from '../oauth/config.js';
import type { CallerDeps } from './caller.js';
import { createOperatorWarning } from './caller-errors.js';
import { createMemoryStore } from './memory-store.js';
import { createM2mClient, type M2mClient } from './m2m.js';
import { readOpsSettings, readSettings, type Environment, type OpsSettings } from './settings.js';
import { createMemoryReplayGuard, createMemoryShortCache } from './short-state.js';

/** Everything the server side needs, built once from the environment. */
export interface ServerContext {
  client: ClientConfig;
  m2m: M2mClient;
  /** Extra origins the developer inspector may call from the browser. */
  inspectOrigins: string[];
  /** The Fentu authorization server's metadata, for verifying callers' tokens. Fetched once. */
  authorizationServer(): Promise<ServerEndpoints>;
  /** What checking the partner route's callers needs, but the metadata (see m2m-route.ts). */
  callers: Omit<CallerDeps, 'server' | 'audience'>;
}

let context: ServerContext | undefined;
let ops: OpsSettings | undefined;

/**
 * The server's environment: the variables declared in src/env.ts as SvelteKit hands them over, and
 * the rest of the process environment. The M2M_<NAME>_* names are the operator's choice, so
 * SvelteKit cannot declare them; `npm start` and `vite` fill the process environment from `.env`.
 */
export function serverEnvironment(): Environment {
  return {
    ...process.env,
    ...clientEnv(),
    M2M_PROVIDERS,
    INSPECT_CONNECT_ORIGINS,
    FENTU_ACCESS_TOKEN_FORMAT,
    FENTU_INTROSPECTION_CLIENT_ID,
    FENTU_INTROSPECTION_CLIENT_SECRET,
    FENTU_INTROSPECTION_AUTH_METHOD,
    FENTU_INTROSPECTION_ENDPOINT,
  };
}

/**
 * The server configuration, validated on first use: the Fentu client settings (PUBLIC_FENTU_*),
 * the machine-to-machine providers (M2M_*, server-only: never sent to the browser) and the
 * inspector's origins. Throws CONFIG_INVALID naming every variable at fault. `appOrigin` is where
 * the app is served.
 */
export function serverContext(appOrigin: string): ServerContext {
  if (context) return context;
  const { client, providers, caller, inspectOrigins } = readSettings(serverEnvironment(), appOrigin);
  let metadata: Promise<ServerEndpoints> | undefined;
  context = {
    client,
    m2m: createM2mClient(providers),
    inspectOrigins,
    // In this process's memory: one server instance. Several instances behind a load balancer
    // need a shared store implementing the same two interfaces, or a replay to another instance
    // is accepted.
    callers: {
      config: caller,
      cache: createMemoryShortCache(),
      replay: createMemoryReplayGuard({ maxEntries: 100_000 }),
      warn: createOperatorWarning(),
    },
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

/**
 * API_MAX_BODY_BYTES and METRICS_*, checked on first use. Nothing here depends on a request, so
 * the hook, the routes and the metrics endpoint all read the same values.
 */
export function opsSettings(): OpsSettings {
  ops ??= readOpsSettings(serverEnvironment());
  return ops;
}

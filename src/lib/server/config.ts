import {
  FENTU_ACCESS_TOKEN_FORMAT,
  FENTU_INTROSPECTION_AUTH_METHOD,
  FENTU_INTROSPECTION_CLIENT_ID,
  FENTU_INTROSPECTION_CLIENT_SECRET,
  FENTU_INTROSPECTION_ENDPOINT,
  INSPECT_CONNECT_ORIGINS,
  INSPECT_ENABLED,
  M2M_CACHE_KEY,
  M2M_PROVIDERS,
  REDIS_URL,
} from '$app/env/private';
import * as publicEnv from '$app/env/public';
import { dev } from '$app/env';
import { resolveAuthorizationServer, type ServerEndpoints } from '../oauth/authorization-server.js';
import { clientEnvOf, type ClientConfig } from '../oauth/config.js';
import type { CallerDeps } from './caller.js';
import { createCallerProblems } from './caller-errors.js';
import { createMemoryStore } from '../base/memory-store.js';
import type { RateLimit } from './m2m-config.js';
import { createM2mClient, type M2mClient } from './m2m.js';
import {
  readOpsSettings,
  readSettings,
  type Environment,
  type InspectSettings,
  type OpsSettings,
  type Settings,
} from './settings.js';
import { createMemoryState } from './shared/memory-state.js';
import { createRedisState } from './shared/redis-state.js';
import type { SharedState } from './shared/state.js';
import { createMemoryReplayGuard, createMemoryShortCache } from './short-state.js';

/** Everything the server side needs, built once from the environment. */
export interface ServerContext {
  client: ClientConfig;
  m2m: M2mClient;
  /** Service tokens, locks and limits: in Redis when REDIS_URL is set, else this process's memory. */
  sharedState: SharedState;
  /** How many partner calls one signed-in user may make per window (M2M_USER_RATE_LIMIT). */
  userRateLimit: RateLimit;
  /** Extra origins the developer inspector may call from the browser. */
  inspectOrigins: string[];
  /** Whether the developer inspector is served (INSPECT_ENABLED), and why. */
  inspect: InspectSettings;
  /** The Fentu authorization server's metadata, for verifying callers' tokens. Fetched once. */
  authorizationServer(): Promise<ServerEndpoints>;
  /** What checking the partner route's callers needs, but the metadata (see m2m-route.ts). */
  callers: Omit<CallerDeps, 'server' | 'audience'>;
}

/** Caller checks that failed on the server's side lately, for the log and for /readyz. */
export const callerProblems = createCallerProblems();

let settings: Settings | undefined;
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
    ...clientEnvOf(publicEnv),
    M2M_PROVIDERS,
    INSPECT_CONNECT_ORIGINS,
    INSPECT_ENABLED,
    FENTU_ACCESS_TOKEN_FORMAT,
    FENTU_INTROSPECTION_CLIENT_ID,
    FENTU_INTROSPECTION_CLIENT_SECRET,
    FENTU_INTROSPECTION_AUTH_METHOD,
    FENTU_INTROSPECTION_ENDPOINT,
    REDIS_URL,
    M2M_CACHE_KEY,
  };
}

/**
 * The whole checked configuration (PUBLIC_FENTU_*, M2M_*, INSPECT_*, FENTU_*, API_*, METRICS_*,
 * REDIS_URL), read from the environment once; a configuration with problems is not kept, and
 * each call throws CONFIG_INVALID naming every variable at fault. `appOrigin` is where the app is
 * served, for the default redirect URI.
 */
export function serverSettings(appOrigin: string): Settings {
  settings ??= readSettings(serverEnvironment(), appOrigin, { dev });
  return settings;
}

/**
 * The server configuration, validated on first use: the Fentu client settings (PUBLIC_FENTU_*),
 * the machine-to-machine providers (M2M_*, server-only: never sent to the browser) and the
 * inspector's origins. Throws CONFIG_INVALID naming every variable at fault. `appOrigin` is where
 * the app is served.
 */
export function serverContext(appOrigin: string): ServerContext {
  if (context) return context;
  const {
    client,
    providers,
    caller,
    inspectOrigins,
    inspect,
    sharedState: shared,
    userRateLimit,
  } = serverSettings(appOrigin);
  const sharedState = shared ? createRedisState(shared) : createMemoryState();
  // adapter-node's signal that the server is shutting down.
  process.once('sveltekit:shutdown', () => void sharedState.close());
  let metadata: Promise<ServerEndpoints> | undefined;
  context = {
    client,
    m2m: createM2mClient(providers, { state: sharedState }),
    sharedState,
    userRateLimit,
    inspectOrigins,
    inspect,
    // Introspection answers and DPoP proofs seen: in Redis when it is configured, so every
    // instance knows them (a proof replayed to another instance is refused); otherwise in this
    // process's memory, bounded.
    callers: {
      config: caller,
      cache: shared ? sharedState : createMemoryShortCache(),
      replay: shared ? sharedState : createMemoryReplayGuard({ maxEntries: 100_000 }),
      warn: (line) => callerProblems.warn(line),
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

import * as publicEnv from '$app/env/public';
import { clientEnvOf, parseClientConfig, type ClientConfig } from '../oauth/config.js';
import { FieldpassError } from '../base/errors.js';
import { describeScope, type ScopeInfo } from '../catalogs/fentu-scopes.js';

/** The client configuration, or why it is unusable. */
export type LoadedConfig = { config: ClientConfig } | { error: FieldpassError };

let loaded: LoadedConfig | undefined;

/** The client configuration from the PUBLIC_FENTU_* environment variables, or why it is unusable. */
export function loadClientConfig(appOrigin: string): LoadedConfig {
  try {
    return { config: parseClientConfig(clientEnvOf(publicEnv), appOrigin) };
  } catch (err) {
    if (err instanceof FieldpassError) return { error: err };
    throw err;
  }
}

/** The app's client configuration for this page's origin, read once per page load. */
export function clientConfig(): LoadedConfig {
  loaded ??= loadClientConfig(location.origin);
  return loaded;
}

/** The configured scopes, in order, each described in the words of the Fentu scope table. */
export function scopeCatalog(config: ClientConfig): ScopeInfo[] {
  return config.scopes.map(describeScope);
}

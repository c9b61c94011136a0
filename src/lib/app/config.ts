import * as publicEnv from '$app/env/public';
import { CLIENT_VARIABLES, parseClientConfig, type ClientConfig, type ClientEnv } from '../oauth/config.js';
import { FieldpassError } from '../base/errors.js';

/** The PUBLIC_FENTU_* values as SvelteKit hands them to the browser and the server. */
export function clientEnv(): ClientEnv {
  return Object.fromEntries(CLIENT_VARIABLES.map((name) => [name, publicEnv[name]]));
}

/** The client configuration from the PUBLIC_FENTU_* environment variables, or why it is unusable. */
export function loadClientConfig(appOrigin: string): { config: ClientConfig } | { error: FieldpassError } {
  try {
    return { config: parseClientConfig(clientEnv(), appOrigin) };
  } catch (err) {
    if (err instanceof FieldpassError) return { error: err };
    throw err;
  }
}

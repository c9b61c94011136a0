import { env } from '$env/dynamic/public';
import { CLIENT_VARIABLES, parseClientConfig, type ClientConfig, type ClientEnv } from './oauth/config.js';
import { FieldpassError } from './oauth/errors.js';

/** The client configuration from the PUBLIC_FENTU_* environment variables, or why it is unusable. */
export function loadClientConfig(appOrigin: string): { config: ClientConfig } | { error: FieldpassError } {
  const values: ClientEnv = Object.fromEntries(CLIENT_VARIABLES.map((name) => [name, env[name]]));
  try {
    return { config: parseClientConfig(values, appOrigin) };
  } catch (err) {
    if (err instanceof FieldpassError) return { error: err };
    throw err;
  }
}

import * as publicEnv from '$app/env/public';
import { clientEnvOf, parseClientConfig, type ClientConfig } from '../oauth/config.js';
import { FieldpassError } from '../base/errors.js';

/** The client configuration from the PUBLIC_FENTU_* environment variables, or why it is unusable. */
export function loadClientConfig(appOrigin: string): { config: ClientConfig } | { error: FieldpassError } {
  try {
    return { config: parseClientConfig(clientEnvOf(publicEnv), appOrigin) };
  } catch (err) {
    if (err instanceof FieldpassError) return { error: err };
    throw err;
  }
}

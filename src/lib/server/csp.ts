import type { Settings } from './settings.js';

/** The CSP connect-src directives: one for the app's pages, one for the inspector's. */
export interface ConnectSources {
  app: string;
  inspector: string;
  /** The origins the inspector's directive names besides 'self', for its pages to check a target against. */
  inspectorOrigins: string[];
}

/**
 * The connect-src directives, built once from the checked settings: the app itself, the issuer,
 * the API and hand-entered endpoints, plus INSPECT_CONNECT_ORIGINS on the inspector's pages when the
 * inspector is on (off, its pages answer 404 and no directive names those origins).
 * Nothing in them comes from a request, so no request (whatever Host it names) adds server state.
 */
export function connectSources({
  client,
  inspectOrigins,
  inspect,
}: Pick<Settings, 'client' | 'inspectOrigins' | 'inspect'>): ConnectSources {
  const origins = new Set<string>();
  for (const url of [client.issuer, client.apiBaseUrl, ...Object.values(client.endpoints ?? {})]) {
    origins.add(new URL(url).origin);
  }
  const app = `connect-src ${["'self'", ...origins].join(' ')}`;
  if (!inspect.enabled) return { app, inspector: app, inspectorOrigins: [...origins] };
  const inspectorOrigins = [...new Set([...origins, ...inspectOrigins])];
  return { app, inspector: `connect-src ${["'self'", ...inspectorOrigins].join(' ')}`, inspectorOrigins };
}

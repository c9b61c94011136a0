import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit/hooks';
import { dev } from '$app/env';
import { isFieldpassError } from '#lib/oauth/errors.ts';
import { checkServerConfig } from '#lib/server/config.ts';
import { INSPECT_CONNECT_ORIGINS } from '$app/env/private';
import { loadClientConfig } from '#lib/config.ts';

/** Fails at start-up, naming the variable, when the machine-to-machine configuration is unusable. */
export const init: ServerInit = () => {
  try {
    checkServerConfig();
  } catch (err) {
    if (!isFieldpassError(err)) throw err;
    console.error(`\nFieldpass cannot start: ${err.message}\nSee .env.example for every setting.\n`);
    // In production the process stops here; under `vite dev` the error surfaces on the page.
    if (!dev) process.exit(1);
    throw err;
  }
};

const connectSources = new Map<string, string>();

/**
 * Extra origins the developer inspector (/inspect) may call from the browser, from
 * INSPECT_CONNECT_ORIGINS (space-separated): the authorization servers it is pointed at.
 */
function inspectOrigins(): string[] {
  return (INSPECT_CONNECT_ORIGINS ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((value) => {
      try {
        return [new URL(value).origin];
      } catch {
        return [];
      }
    });
}

/** The CSP connect-src for an app origin: itself, the issuer, the API and hand-entered endpoints. */
function connectSrc(appOrigin: string, inspector: boolean): string {
  const cacheKey = `${appOrigin} ${inspector}`;
  let value = connectSources.get(cacheKey);
  if (value === undefined) {
    const loaded = loadClientConfig(appOrigin);
    const origins = new Set(["'self'"]);
    if ('config' in loaded) {
      const { issuer, apiBaseUrl, endpoints } = loaded.config;
      for (const url of [issuer, apiBaseUrl, ...Object.values(endpoints ?? {})]) origins.add(new URL(url).origin);
    }
    if (inspector) for (const origin of inspectOrigins()) origins.add(origin);
    value = `connect-src ${[...origins].join(' ')}`;
    connectSources.set(cacheKey, value);
  }
  return value;
}

/**
 * Security headers on every response. The CSP SvelteKit builds from `kit.csp` gets a connect-src
 * naming the configured authorization server and API, the only origins the browser must reach.
 */
export const handle: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  const csp = response.headers.get('content-security-policy');
  const inspector = event.url.pathname.startsWith('/inspect');
  if (csp) response.headers.set('content-security-policy', `${csp}; ${connectSrc(event.url.origin, inspector)}`);
  response.headers.set('referrer-policy', 'no-referrer');
  response.headers.set('x-frame-options', 'DENY');
  response.headers.set('x-content-type-options', 'nosniff');
  if (event.url.pathname === '/callback' || event.url.pathname === '/inspect/callback') {
    response.headers.set('cache-control', 'no-store');
  }
  return response;
};

/**
 * Unexpected server errors reach the page as a generic message; the detail stays in the log.
 * Errors the app raised on purpose and SvelteKit's own (404, 405) keep their status and message.
 */
export const handleError: HandleServerError = ({ kind, error }) => {
  if (kind !== 'unknown') return;
  console.error(error);
  return { message: 'Fieldpass hit an unexpected problem. Reload the page; if it keeps happening, restart Fieldpass.' };
};

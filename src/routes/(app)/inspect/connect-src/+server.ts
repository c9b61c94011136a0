import { json } from '@sveltejs/kit';
import { serverContext } from '#lib/server/config.ts';
import { connectSources } from '#lib/server/csp.ts';
import type { RequestHandler } from './$types';

/** What the inspector's connect-src names besides 'self': the same list hooks.server.ts sends. */
let origins: string[] | undefined;

/**
 * The inspector's connect-src origins, so its pages can say before any request that the browser
 * would block it, and which origin to add to INSPECT_CONNECT_ORIGINS. Fetched by the pages rather
 * than loaded with them, so the inspector still opens offline from the app's shell.
 */
export const GET: RequestHandler = ({ url }) => {
  origins ??= connectSources(serverContext(url.origin)).inspectorOrigins;
  return json({ origins }, { headers: { 'cache-control': 'no-store' } });
};

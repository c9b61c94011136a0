import { error, json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';

/**
 * The inspector's connect-src origins (the list hooks.server.ts puts in its CSP), so its pages can
 * say before any request that the browser would block it, and which origin to add to
 * INSPECT_CONNECT_ORIGINS. Fetched by the pages rather than loaded with them, so the inspector
 * still opens offline from the app's shell.
 */
export const GET: RequestHandler = ({ locals }) => {
  if (!locals.inspector.enabled) error(404, 'Not Found');
  return json({ origins: locals.inspector.origins }, { headers: { 'cache-control': 'no-store' } });
};

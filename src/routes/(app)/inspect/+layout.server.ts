import { serverContext } from '#lib/server/config.ts';
import { connectSources } from '#lib/server/csp.ts';
import type { LayoutServerLoad } from './$types';

/** What the inspector's connect-src names besides 'self': the same list hooks.server.ts sends. */
let connectOrigins: string[] | undefined;

/**
 * The inspector's pages learn their connect-src, so a step can say before any request that the
 * browser would block it, and which origin to add to INSPECT_CONNECT_ORIGINS.
 */
export const load: LayoutServerLoad = ({ url }) => {
  connectOrigins ??= connectSources(serverContext(url.origin)).inspectorOrigins;
  return { connectOrigins };
};

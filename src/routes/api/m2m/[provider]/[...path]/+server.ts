import type { RequestHandler } from './$types';
import { respond } from '#lib/server/m2m-route.ts';

// A trailing slash is redirected by the handle hook, so the redirect carries the API's headers.
export const trailingSlash = 'ignore';

// Thin glue: everything is in #lib/server/m2m-route.ts.
export const GET: RequestHandler = (event) => respond(event, 'GET');
export const POST: RequestHandler = (event) => respond(event, 'POST');

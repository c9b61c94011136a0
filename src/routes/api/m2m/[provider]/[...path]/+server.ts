import type { RequestHandler } from './$types';
import { respond } from '#lib/server/m2m-route.ts';

// Thin glue: everything is in #lib/server/m2m-route.ts.
export const GET: RequestHandler = (event) => respond(event, 'GET');
export const POST: RequestHandler = (event) => respond(event, 'POST');

import type { RequestHandler } from './$types';
import { listProviders } from '#lib/server/m2m-route.ts';

// A trailing slash is redirected by the handle hook, so the redirect carries the API's headers.
export const trailingSlash = 'ignore';

export const GET: RequestHandler = (event) => listProviders(event);

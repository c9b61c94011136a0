import type { RequestHandler } from './$types';
import { testToken } from '#lib/server/m2m-route.ts';

// A trailing slash is redirected by the handle hook, so the redirect carries the API's headers.
export const trailingSlash = 'ignore';

export const POST: RequestHandler = (event) => testToken(event);

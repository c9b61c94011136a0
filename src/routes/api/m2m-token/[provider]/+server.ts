import type { RequestHandler } from './$types';
import { testToken } from '#lib/server/m2m-route.ts';

export const POST: RequestHandler = (event) => testToken(event);

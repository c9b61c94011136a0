import type { RequestHandler } from './$types';
import { listProviders } from '#lib/server/m2m-route.ts';

export const GET: RequestHandler = (event) => listProviders(event);

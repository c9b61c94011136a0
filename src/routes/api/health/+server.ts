import type { RequestHandler } from './$types';
import { health } from '#lib/server/m2m-route.ts';

export const GET: RequestHandler = (event) => health(event);

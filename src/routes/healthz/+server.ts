import type { RequestHandler } from './$types';
import { healthResponse } from '#lib/server/health.ts';

// Liveness: the process answers. No sign-in, no configuration, no outbound call.
export const GET: RequestHandler = () => healthResponse();

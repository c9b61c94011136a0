import type { RequestHandler } from './$types';
import { readinessResponse } from '#lib/server/health.ts';

// Readiness: the configuration and every registered check (#lib/server/health.ts).
export const GET: RequestHandler = () => readinessResponse();

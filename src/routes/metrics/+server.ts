import type { RequestHandler } from './$types';
import { opsSettings } from '#lib/server/config.ts';
import { metricsResponse } from '#lib/server/metrics.ts';

// Prometheus metrics on the app's port: only with METRICS_TOKEN set, and only for requests bearing it.
export const GET: RequestHandler = ({ request }) => metricsResponse(request, opsSettings().metricsToken);

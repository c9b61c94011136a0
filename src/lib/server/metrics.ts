import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { log } from './log.js';

/**
 * The server's Prometheus metrics, in a registry of its own (not prom-client's global one, so a
 * module reloaded by the dev server registers its metrics again without a clash). Other modules
 * import the metric they count and call `inc()` / `startTimer()`.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'fieldpass_' });

/** Client-credentials token requests sent to a provider's token endpoint. */
export const m2mTokenRequests = new Counter({
  name: 'fieldpass_m2m_token_requests_total',
  help: 'Client-credentials token requests sent to a provider',
  labelNames: ['provider'] as const,
  registers: [registry],
});

/** Calls served with a cached service token, without a token request. */
export const m2mTokenCacheHits = new Counter({
  name: 'fieldpass_m2m_token_cache_hits_total',
  help: 'Calls that used a cached service token',
  labelNames: ['provider'] as const,
  registers: [registry],
});

/** How long a provider's API took to answer a call (failures included), in seconds. */
export const m2mUpstreamSeconds = new Histogram({
  name: 'fieldpass_m2m_upstream_duration_seconds',
  help: "Time a provider's API took to answer a call, in seconds",
  labelNames: ['provider'] as const,
  buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** Requests refused because their caller went over a rate limit. */
export const rateLimitRefusals = new Counter({
  name: 'fieldpass_rate_limit_refusals_total',
  help: 'Requests refused because the caller went over a rate limit',
  registers: [registry],
});

/** Requests refused because their DPoP proof had been seen before (RFC 9449 §11.1). */
export const dpopReplayRefusals = new Counter({
  name: 'fieldpass_dpop_replay_refusals_total',
  help: 'Requests refused because their DPoP proof was a replay',
  registers: [registry],
});

/** Commands to Redis that failed (connection lost, time-out, error reply). */
export const redisErrors = new Counter({
  name: 'fieldpass_redis_errors_total',
  help: 'Redis commands that failed',
  registers: [registry],
});

/** The metrics in Prometheus's text exposition format, with its content type. */
export async function metricsText(from: Registry = registry): Promise<{ contentType: string; body: string }> {
  return { contentType: from.contentType, body: await from.metrics() };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * True when the Authorization header is `Bearer <token>` with the metrics token. The comparison
 * takes the same time whatever the header holds: both sides are hashed to equal lengths first.
 */
export function hasMetricsToken(authorization: string | null, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  const offered = digest(match?.[1] ?? '');
  return timingSafeEqual(offered, digest(token)) && match !== null;
}

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * GET /metrics on the app's port: the metrics for a request bearing METRICS_TOKEN; 401 for any
 * other; 404 when no token is configured, so the endpoint does not exist for the public.
 */
export async function metricsResponse(request: Request, token: string | undefined, from = registry): Promise<Response> {
  if (!token) return new Response('Not Found', { status: 404, headers: NO_STORE });
  if (!hasMetricsToken(request.headers.get('authorization'), token)) {
    return new Response('Unauthorized', {
      status: 401,
      headers: { ...NO_STORE, 'www-authenticate': 'Bearer realm="fieldpass-metrics"' },
    });
  }
  const { contentType, body } = await metricsText(from);
  return new Response(body, { headers: { ...NO_STORE, 'content-type': contentType } });
}

/**
 * A plain HTTP server that answers GET /metrics (and nothing else) on its own port, for a
 * Prometheus that scrapes from inside the host or cluster. It does not keep the process alive,
 * so the app's graceful shutdown ends the process as before.
 */
export function startMetricsServer(options: { port: number; host: string }, from = registry): Server {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, NO_STORE).end('Not Found');
      return;
    }
    metricsText(from).then(
      ({ contentType, body }) => res.writeHead(200, { ...NO_STORE, 'content-type': contentType }).end(body),
      (err: unknown) => {
        log.error('metrics_failed', { error: err });
        res.writeHead(500, NO_STORE).end('Internal Server Error');
      },
    );
  });
  server.on('error', (err: NodeJS.ErrnoException) =>
    log.error('metrics_server_failed', { port: options.port, host: options.host, code: err.code }),
  );
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  server.listen(options.port, options.host, () =>
    log.info('metrics_listening', { url: `http://${host}:${options.port}/metrics` }),
  );
  server.unref();
  return server;
}

/** Where the running metrics server is kept, across reloads of this module by the dev server. */
const RUNNING = Symbol.for('fieldpass.metrics-server');

/** Starts the metrics port once per process; a reloaded module replaces the server it started before. */
export function serveMetrics(options: { port: number; host: string }): void {
  const holder = globalThis as { [RUNNING]?: Server };
  const previous = holder[RUNNING];
  if (previous) {
    previous.close(() => (holder[RUNNING] = startMetricsServer(options)));
    previous.closeAllConnections();
  } else holder[RUNNING] = startMetricsServer(options);
}

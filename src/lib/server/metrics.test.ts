import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { fakeFetch, jsonResponse } from '../oauth/fake-fetch.test-util.js';
import { createM2mClient } from './m2m.js';
import { parseM2mProviders } from './m2m-config.js';
import {
  dpopReplayRefusals,
  hasMetricsToken,
  m2mTokenCacheHits,
  m2mTokenRequests,
  m2mUpstreamSeconds,
  metricsResponse,
  metricsText,
  rateLimitRefusals,
  redisErrors,
  registry,
  startMetricsServer,
} from './metrics.js';

const TOKEN = 'metrics-token-0123456789abcdef0123456789abcdef';
const bearer = (value: string) => new Request('http://app.test/metrics', { headers: { authorization: value } });

/** A registry of its own with one known counter, so the text can be compared line by line. */
function sampleRegistry(): Registry {
  const sample = new Registry();
  new Counter({ name: 'sample_total', help: 'A sample', labelNames: ['provider'], registers: [sample] }).inc(
    { provider: 'fenergo' },
    2,
  );
  return sample;
}

describe('hasMetricsToken', () => {
  it.each([
    [`Bearer ${TOKEN}`, true],
    [`bearer ${TOKEN}`, true],
    [`Bearer ${TOKEN}x`, false],
    [`Bearer ${TOKEN.slice(0, -1)}`, false],
    [`Basic ${TOKEN}`, false],
    [TOKEN, false],
    ['Bearer ', false],
    ['', false],
    [null, false],
  ])('%j → %s', (header, expected) => {
    expect(hasMetricsToken(header, TOKEN)).toBe(expected);
  });
});

describe('metricsResponse (/metrics on the app port)', () => {
  it('does not exist without METRICS_TOKEN, even for a request that names one', async () => {
    const response = await metricsResponse(bearer(`Bearer ${TOKEN}`), undefined, sampleRegistry());
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('sample_total');
  });

  it.each([undefined, 'Bearer wrong', `Bearer ${TOKEN.toUpperCase()}`])(
    'answers 401 to authorization %j',
    async (header) => {
      const request = header ? bearer(header) : new Request('http://app.test/metrics');
      const response = await metricsResponse(request, TOKEN, sampleRegistry());
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.text()).not.toContain('sample_total');
    },
  );

  it('serves the text exposition format to a request bearing the token', async () => {
    const response = await metricsResponse(bearer(`Bearer ${TOKEN}`), TOKEN, sampleRegistry());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await response.text()).split('\n')).toEqual([
      '# HELP sample_total A sample',
      '# TYPE sample_total counter',
      'sample_total{provider="fenergo"} 2',
      '',
    ]);
  });
});

describe('the metrics port', () => {
  it('serves GET /metrics and nothing else', async () => {
    const server = startMetricsServer({ port: 0, host: '127.0.0.1' }, sampleRegistry());
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await metrics.text()).toContain('sample_total{provider="fenergo"} 2');
      expect((await fetch(`${base}/`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      server.close();
    }
  });
});

describe("the server's metrics", () => {
  it('are all defined in the registry, with the process metrics', async () => {
    rateLimitRefusals.inc();
    dpopReplayRefusals.inc();
    redisErrors.inc();
    const { body } = await metricsText();
    for (const name of [
      'fieldpass_m2m_token_requests_total',
      'fieldpass_m2m_token_cache_hits_total',
      'fieldpass_m2m_upstream_duration_seconds',
      'fieldpass_rate_limit_refusals_total',
      'fieldpass_dpop_replay_refusals_total',
      'fieldpass_redis_errors_total',
      'fieldpass_process_resident_memory_bytes',
    ]) {
      expect(body).toContain(`# TYPE ${name} `);
    }
  });

  it('count token requests, cache hits and upstream calls per provider', async () => {
    const providers = parseM2mProviders({
      M2M_PROVIDERS: 'metered',
      M2M_METERED_TOKEN_URL: 'https://as.metered.example/token',
      M2M_METERED_CLIENT_ID: 'metered-client',
      M2M_METERED_CLIENT_SECRET: 'metered-secret',
      M2M_METERED_API_BASE_URL: 'https://api.metered.example',
      M2M_METERED_ALLOW: 'GET /items',
      M2M_METERED_USER_SCOPE: 'read:assets',
    });
    const { fetch } = fakeFetch((request) =>
      request.url.endsWith('/token')
        ? jsonResponse({ access_token: 'svc-1', token_type: 'Bearer', expires_in: 900 })
        : jsonResponse({ items: [] }),
    );
    const m2m = createM2mClient(providers, { fetch });
    const value = async (
      metric: { get(): Promise<{ values: { labels: object; value: number; metricName?: string }[] }> },
      name?: string,
    ) =>
      (await metric.get()).values.find(
        (v) => (v.labels as { provider?: string }).provider === 'metered' && (!name || v.metricName === name),
      )?.value ?? 0;

    for (let i = 0; i < 3; i += 1) await m2m.call('metered', { method: 'GET', path: '/items' });

    expect(await value(m2mTokenRequests)).toBe(1);
    expect(await value(m2mTokenCacheHits)).toBe(2);
    expect(await value(m2mUpstreamSeconds, 'fieldpass_m2m_upstream_duration_seconds_count')).toBe(3);
    expect(await registry.metrics()).not.toContain('metered-secret');
  });
});

// The server's own answers, as `node build` gives them: no-store on everything under /api/ (SvelteKit's
// 405 and trailing-slash redirect included), the body limit, the health endpoints and who may read
// the metrics. No browser: the `request` fixture only.

import { expect, test } from '@playwright/test';
import { CANARY, METRICS_TOKEN } from './harness';

const JSON_BODY = { 'content-type': 'application/json' };

test('405 for a method an API route does not have is no-store', async ({ request }) => {
  const response = await request.put('/api/m2m', { data: {}, headers: JSON_BODY });
  expect(response.status()).toBe(405);
  expect(response.headers()['cache-control']).toBe('no-store');
});

test('308 for a trailing slash on an API route is no-store and points to the path without it', async ({ request }) => {
  for (const path of ['/api/m2m/', '/api/device/', '/api/m2m/fenergo/entities/?page=2']) {
    const response = await request.get(path, { maxRedirects: 0 });
    expect(response.status(), path).toBe(308);
    expect(response.headers()['cache-control'], path).toBe('no-store');
    expect(response.headers().location, path).toBe(path.replace(/\/(\?|$)/, '$1'));
  }
});

test('404 under /api/ is no-store too', async ({ request }) => {
  const response = await request.get('/api/no-such-route');
  expect(response.status()).toBe(404);
  expect(response.headers()['cache-control']).toBe('no-store');
});

test('a 10 MB body to an API route is refused with 413 in the JSON error shape', async ({ request }) => {
  const response = await request.post('/api/m2m/fenergo/entities', {
    data: Buffer.alloc(10 * 1024 * 1024, 'a'),
    headers: JSON_BODY,
  });
  expect(response.status()).toBe(413);
  expect(response.headers()['cache-control']).toBe('no-store');
  const body = await response.json();
  expect(body.error).toBe('payload_too_large');
  expect(typeof body.error_description).toBe('string');
});

test('/healthz answers 200 {"status":"ok"} without a sign-in, no-store', async ({ request }) => {
  const response = await request.get('/healthz');
  expect(response.status()).toBe(200);
  expect(response.headers()['cache-control']).toBe('no-store');
  expect(await response.json()).toEqual({ status: 'ok' });
});

test('/readyz answers 200 when the configuration is valid, no-store', async ({ request }) => {
  const response = await request.get('/readyz');
  expect(response.status()).toBe(200);
  expect(response.headers()['cache-control']).toBe('no-store');
  const body = await response.json();
  expect(body.status).toBe('ready');
  expect(body.checks).toContain('configuration');
});

test('metrics cannot be read without the metrics token', async ({ request }) => {
  const refused: Record<string, string>[] = [
    {},
    { authorization: 'Bearer wrong' },
    { authorization: `Basic ${METRICS_TOKEN}` },
  ];
  for (const headers of refused) {
    const response = await request.get('/metrics', { headers });
    expect(response.status(), JSON.stringify(headers)).toBe(401);
    expect(await response.text()).not.toContain('fieldpass_');
  }

  const response = await request.get('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  expect(text).toContain('# TYPE fieldpass_m2m_token_requests_total counter');
  for (const secret of [CANARY.fenergoSecret, CANARY.fenrisSecret, METRICS_TOKEN]) expect(text).not.toContain(secret);
});

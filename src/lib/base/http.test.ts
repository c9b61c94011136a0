import * as oauth from 'oauth4webapi';
import { describe, expect, it, vi } from 'vitest';
import {
  backoffDelay,
  httpOptions,
  isLoopbackHost,
  isTimeout,
  requestOptions,
  retryAt,
  type FetchLike,
} from './http.js';

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['[::1]', true],
    ['localhost', true],
    ['128.0.0.1', false],
    ['192.168.1.5', false],
    ['10.0.0.1', false],
    ['127.0.0.1.evil.example', false],
    ['localhost.evil.example', false],
    ['evil127.0.0.1', false],
    ['as.example.com', false],
  ])('%s → %s', (hostname, expected) => {
    expect(isLoopbackHost(hostname)).toBe(expected);
  });
});

describe('httpOptions', () => {
  it.each([
    ['http://127.0.0.1:9000/token', true],
    ['http://[::1]:9000/token', true],
    ['http://localhost:9000/token', true],
    ['https://127.0.0.1:9000/token', false],
    ['https://as.example.com/token', false],
    ['http://as.example.com/token', false],
    ['http://192.168.1.5/token', false],
  ])('%s → allowInsecureRequests %s', (endpoint, insecure) => {
    const options = httpOptions(endpoint);
    expect(options[oauth.allowInsecureRequests] === true).toBe(insecure);
    expect(Object.getOwnPropertySymbols(options)).toHaveLength(insecure ? 1 : 0);
  });

  it('sets nothing without an endpoint', () => {
    expect(Object.getOwnPropertySymbols(httpOptions(undefined))).toHaveLength(0);
  });

  it('accepts a URL object', () => {
    expect(httpOptions(new URL('http://127.0.0.1:9000'))[oauth.allowInsecureRequests]).toBe(true);
  });
});

describe('requestOptions', () => {
  const send = (options: ReturnType<typeof requestOptions>, url: string) =>
    options[oauth.customFetch](url, { method: 'GET', headers: {}, body: undefined, redirect: 'manual' });

  it('sends through the custom fetch when there is one, else the global fetch', async () => {
    const custom = vi.fn<FetchLike>(async () => new Response(null, { status: 204 }));
    expect((await send(requestOptions({ fetch: custom }), 'https://as.example.com/token')).status).toBe(204);
    expect(custom).toHaveBeenCalledWith('https://as.example.com/token', expect.objectContaining({ method: 'GET' }));
    const global = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 202 }));
    try {
      expect((await send(requestOptions({}), 'https://as.example.com/token')).status).toBe(202);
    } finally {
      global.mockRestore();
    }
  });

  it.each([
    ['unreachable', new TypeError('fetch failed'), 'https://as.example.com/token'],
    ['timed out', new DOMException('timed out', 'TimeoutError'), 'https://as.example.com/token'],
    ['refused otherwise', new Error('other'), undefined],
  ])(
    'a request %s rejects with its address, without query or fragment, only when it got no answer',
    async (_, err, url) => {
      const options = requestOptions({ fetch: () => Promise.reject(err) });
      await expect(send(options, 'https://as.example.com/token?code=secret#x')).rejects.toBe(err);
      expect((err as { url?: string }).url).toBe(url);
    },
  );

  it('allows plain http for a loopback endpoint only', () => {
    expect(requestOptions({}, 'http://127.0.0.1:9000/token')[oauth.allowInsecureRequests]).toBe(true);
    expect(requestOptions({}, 'http://as.example.com/token')[oauth.allowInsecureRequests]).toBeUndefined();
  });

  it('gives each attempt a fresh timeout signal: 15 s unless told otherwise', () => {
    const timeout = vi.spyOn(AbortSignal, 'timeout');
    try {
      const { signal } = requestOptions({ timeoutMs: 2_500 }, 'https://as.example.com/token');
      expect(signal()).not.toBe(signal());
      expect(timeout).toHaveBeenLastCalledWith(2_500);
      requestOptions({}).signal();
      expect(timeout).toHaveBeenLastCalledWith(15_000);
    } finally {
      timeout.mockRestore();
    }
  });
});

describe('isTimeout', () => {
  it.each([
    [new DOMException('timed out', 'TimeoutError'), true],
    [new DOMException('aborted', 'AbortError'), true],
    [new TypeError('fetch failed'), false],
    [new Error('other'), false],
    [undefined, false],
    ['TimeoutError', false],
  ])('%s → %s', (err, expected) => {
    expect(isTimeout(err)).toBe(expected);
  });
});

describe('retryAt', () => {
  const NOW = Date.parse('2026-12-01T10:00:00Z');
  const headers = (init: Record<string, string>) => new Headers(init);

  it.each([
    ['Retry-After in seconds', { 'retry-after': '30' }, NOW + 30_000],
    ['Retry-After 0', { 'retry-after': '0' }, NOW],
    ['Retry-After as an HTTP date', { 'retry-after': 'Tue, 01 Dec 2026 10:02:00 GMT' }, NOW + 120_000],
    ['X-RateLimit-Reset in epoch seconds', { 'x-ratelimit-reset': String(NOW / 1000 + 45) }, NOW + 45_000],
    ['Retry-After before X-RateLimit-Reset', { 'retry-after': '5', 'x-ratelimit-reset': '1' }, NOW + 5_000],
    ['an unreadable Retry-After, then X-RateLimit-Reset', { 'retry-after': 'soon', 'x-ratelimit-reset': '2' }, 2_000],
    ['an unreadable X-RateLimit-Reset', { 'x-ratelimit-reset': 'later' }, undefined],
    ['neither header', {}, undefined],
  ])('%s', (_, init, expected) => {
    expect(retryAt(headers(init), NOW)).toBe(expected);
  });

  it('reads nothing without headers', () => {
    expect(retryAt(undefined, NOW)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it.each([
    [0, 0, 0],
    [-1, 0, 0],
    [1, 500, 1_000],
    [2, 1_000, 2_000],
    [4, 4_000, 8_000],
    [5, 5_000, 10_000],
    [60, 5_000, 10_000],
  ])('attempt %i, base 1 s, cap 10 s → from %i ms (random 0) to %i ms (random 1)', (attempt, low, high) => {
    expect(backoffDelay(attempt, 1_000, 10_000, () => 0)).toBe(low);
    expect(backoffDelay(attempt, 1_000, 10_000, () => 1)).toBe(high);
  });

  it('equal jitter: half the ceiling fixed, the other half scaled by the random draw', () => {
    expect(backoffDelay(3, 1_000, 10_000, () => 0.5)).toBe(3_000);
  });

  it('draws from Math.random by default', () => {
    const delays = Array.from({ length: 100 }, () => backoffDelay(3, 1_000, 10_000));
    for (const delay of delays) expect(delay >= 2_000 && delay <= 4_000).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(1);
  });
});

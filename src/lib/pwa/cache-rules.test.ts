import { describe, expect, it } from 'vitest';
import { cacheName, CACHE_PREFIX, classifyRequest, mayStore, offlineCallbackPage } from './cache-rules.js';

const ORIGIN = 'https://fieldpass.example';

function request(
  path: string,
  { method = 'GET', mode = 'cors' as RequestMode, headers = {} as Record<string, string> } = {},
) {
  return { url: new URL(path, ORIGIN).href, method, mode, headers: new Headers(headers) };
}

describe('classifyRequest', () => {
  it.each([
    ['/', 'navigate', 'shell'],
    ['/sign-in?returnTo=%2F', 'navigate', 'shell'],
    ['/inspect', 'navigate', 'shell'],
    ['/_app/immutable/entry/start.abc.js', 'cors', 'asset'],
    ['/favicon.svg', 'no-cors', 'asset'],
    ['/callback?code=abc&state=xyz', 'navigate', 'callback'],
    ['/callback/', 'navigate', 'callback'],
    ['/inspect/callback?code=abc', 'navigate', 'callback'],
    ['/callback', 'cors', 'network'],
    ['/api/device', 'cors', 'network'],
    ['/api/device', 'navigate', 'network'],
    ['/api/m2m/fenris/policies', 'cors', 'network'],
    ['/api', 'navigate', 'network'],
  ] as const)('%s (%s) → %s', (path, mode, kind) => {
    expect(classifyRequest(request(path, { mode }), ORIGIN)).toBe(kind);
  });

  it.each([
    ['the authorization server', 'https://login.fentu.example/authorize?x=1', 'navigate'],
    ['the token endpoint', 'https://login.fentu.example/token', 'cors'],
    ['the Fentu API', 'https://api.fentu.example/work-orders', 'cors'],
    ['a look-alike origin', 'https://fieldpass.example.evil.example/', 'navigate'],
    ['another port', 'https://fieldpass.example:8443/', 'navigate'],
  ] as const)('leaves %s to the network', (_name, url, mode) => {
    expect(classifyRequest({ ...request('/', { mode }), url }, ORIGIN)).toBe('network');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'])('leaves a %s to the network', (method) => {
    expect(classifyRequest(request('/', { method, mode: 'navigate' }), ORIGIN)).toBe('network');
  });

  it.each<Record<string, string>>([
    { authorization: 'DPoP abc' },
    { authorization: 'Bearer abc' },
    { dpop: 'eyJ.x.y' },
  ])('leaves a request with a credential header (%o) to the network', (headers) => {
    expect(classifyRequest(request('/_app/immutable/x.js', { headers }), ORIGIN)).toBe('network');
  });
});

describe('mayStore', () => {
  const ok = (headers: Record<string, string> = {}, extra: Partial<Response> = {}) => ({
    status: 200,
    type: 'basic' as ResponseType,
    redirected: false,
    headers: new Headers(headers),
    ...extra,
  });

  it('stores a plain same-origin 200', () => {
    expect(mayStore(ok())).toBe(true);
    expect(mayStore(ok({ 'cache-control': 'public, max-age=31536000, immutable' }))).toBe(true);
  });

  it.each([
    ['Cache-Control: no-store', ok({ 'cache-control': 'no-store' })],
    ['no-store among other directives', ok({ 'cache-control': 'max-age=0, No-Store' })],
    ['Cache-Control: private', ok({ 'cache-control': 'private, max-age=60' })],
    ['a 404', ok({}, { status: 404 })],
    ['a 206 partial body', ok({}, { status: 206 })],
    ['an opaque cross-origin response', ok({}, { type: 'opaque' })],
    ['a CORS response from another origin', ok({}, { type: 'cors' })],
    ['a response reached through a redirect', ok({}, { redirected: true })],
  ])('never stores %s', (_name, response) => {
    expect(mayStore(response)).toBe(false);
  });
});

describe('cacheName and the offline callback page', () => {
  it('names one cache per version under the common prefix', () => {
    expect(cacheName('1730000000')).toBe(`${CACHE_PREFIX}1730000000`);
    expect(cacheName('a')).not.toBe(cacheName('b'));
  });

  it('the offline callback page has no script at all and is never stored', async () => {
    const response = offlineCallbackPage();
    const html = await response.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('You are offline');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(response.headers.get('content-security-policy')).not.toMatch(/script-src/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(mayStore(response)).toBe(false);
  });
});

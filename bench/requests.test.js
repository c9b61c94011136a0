import { describe, expect, it } from 'vitest';
import { classifyRequest, requestCounts } from './requests.js';

const origins = { app: 'http://127.0.0.1:4990', issuer: 'http://127.0.0.1:9990', api: 'http://127.0.0.1:9991' };
const req = (url, extra = {}) => ({
  url,
  method: 'GET',
  resourceType: 'fetch',
  navigation: false,
  fromCache: false,
  status: 200,
  ...extra,
});

describe('classifyRequest', () => {
  it('names the authorization server’s endpoints, the app’s pages and the API’s calls', () => {
    const kind = (url, extra) => classifyRequest(req(url, extra), origins);
    expect(kind(`${origins.issuer}/.well-known/openid-configuration`)).toBe('authorization server: discovery');
    expect(kind(`${origins.issuer}/authorize?client_id=fieldpass`)).toBe('authorization server: authorize');
    expect(kind(`${origins.issuer}/request`, { method: 'POST' })).toBe(
      'authorization server: pushed authorization request',
    );
    expect(kind(`${origins.issuer}/token`, { method: 'POST' })).toBe('authorization server: token');
    expect(kind(`${origins.issuer}/token`, { method: 'OPTIONS' })).toBe('authorization server: CORS preflight');
    expect(kind(`${origins.issuer}/interaction/abc/login`, { method: 'POST' })).toBe(
      'authorization server: login/consent form sent',
    );
    expect(kind(`${origins.app}/callback?code=x&state=y`, { navigation: true })).toBe('app: page /callback');
    expect(kind(`${origins.app}/_app/immutable/nodes/3.js`, { resourceType: 'script' })).toBe('app: script');
    expect(kind(`${origins.api}/work-orders?page=2`)).toBe('Fentu API: GET /work-orders');
  });
});

describe('requestCounts', () => {
  const signIn = [
    req(`${origins.issuer}/authorize?state=s`, { navigation: true, resourceType: 'document', status: 303 }),
    req(`${origins.app}/callback?code=c&state=s`, { navigation: true, resourceType: 'document' }),
    req(`${origins.app}/_app/immutable/entry/start.js`, { resourceType: 'script', fromCache: true }),
    req(`${origins.app}/_app/immutable/nodes/3.js`, { resourceType: 'script' }),
    req(`${origins.app}/favicon.svg`, { resourceType: 'other' }),
    req(`${origins.issuer}/token`, { method: 'OPTIONS', status: 204 }),
    req(`${origins.issuer}/token`, { method: 'POST', status: 400 }),
    req(`${origins.issuer}/token`, { method: 'POST' }),
    req(`${origins.api}/work-orders`),
  ];

  it('counts what reached a server, and a DPoP nonce retry as a token request but not as a repeat', () => {
    // The favicon (fetched twice here) is in no count: the browser fetches it, not the app.
    expect(requestCounts([...signIn, req(`${origins.app}/favicon.svg`)], origins)).toEqual({
      total: 7,
      servedLocally: 1,
      discovery: 0,
      jwks: 0,
      tokenPosts: 2,
      pushes: 0,
      appDocuments: 1,
      appAssetsFromNetwork: 1,
      apiCalls: 1,
      preflights: 1,
      repeated: 0,
    });
  });

  it('counts a push answered with a DPoP nonce challenge and made again as two pushes, not a repeat', () => {
    const pushed = [
      req(`${origins.issuer}/request`, { method: 'OPTIONS', status: 204 }),
      req(`${origins.issuer}/request`, { method: 'POST', status: 400 }),
      req(`${origins.issuer}/request`, { method: 'POST', status: 201 }),
      ...signIn,
    ];
    expect(requestCounts(pushed, origins)).toMatchObject({ total: 10, pushes: 2, preflights: 2, repeated: 0 });
  });

  it('catches discovery on the callback, a JWKS fetch and a second code exchange after a success', () => {
    const wasteful = [
      ...signIn,
      req(`${origins.issuer}/.well-known/openid-configuration`),
      req(`${origins.issuer}/jwks`),
      req(`${origins.issuer}/token`, { method: 'POST' }),
      req(`${origins.api}/work-orders`),
    ];
    expect(requestCounts(wasteful, origins)).toMatchObject({ discovery: 1, jwks: 1, tokenPosts: 3, repeated: 2 });
  });

  it('counts an app chunk a service worker answered as served locally, but an API call it passed on as sent', () => {
    const withWorker = [
      req(`${origins.app}/_app/immutable/nodes/2.js`, { resourceType: 'script', fromServiceWorker: true }),
      req(`${origins.api}/work-orders`, { fromServiceWorker: true }),
    ];
    expect(requestCounts(withWorker, origins)).toMatchObject({
      total: 1,
      servedLocally: 1,
      appAssetsFromNetwork: 0,
      apiCalls: 1,
    });
  });
});

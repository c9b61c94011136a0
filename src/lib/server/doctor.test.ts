import { describe, expect, it } from 'vitest';
import { fakeFetch, jsonResponse } from '../oauth/fake-fetch.test-util.js';
import type { IntrospectionClient } from './caller-config.js';
import { checkIntrospection } from './doctor.js';

const CLIENT: IntrospectionClient = {
  clientId: 'route',
  clientSecret: 'canary-s3cret',
  authMethod: 'client_secret_basic',
};
const SERVER = { issuer: 'https://as.example', introspection_endpoint: 'https://as.example/introspect' };

describe('doctor: token introspection', () => {
  it.each([
    ['200 active:false → ok', () => jsonResponse({ active: false }), 'ok', /accepts route's credentials/],
    [
      '401 invalid_client → the credentials',
      () => jsonResponse({ error: 'invalid_client' }, 401),
      'problem',
      /refused the credentials.*FENTU_INTROSPECTION_CLIENT_SECRET/,
    ],
    [
      '401 with a challenge → the credentials',
      () => new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } }),
      'problem',
      /refused the credentials/,
    ],
    ['a bare 401 → the credentials', () => new Response('no', { status: 401 }), 'problem', /refused the credentials/],
    [
      'unreachable → the endpoint',
      () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } })),
      'problem',
      /ENOTFOUND.*FENTU_INTROSPECTION_ENDPOINT/,
    ],
    ['a made-up token active → a problem', () => jsonResponse({ active: true }), 'problem', /made-up token is active/],
  ])('%s', async (_name, answer, level, text) => {
    const { fetch, requests } = fakeFetch(answer);
    const finding = await checkIntrospection(CLIENT, SERVER, SERVER.issuer, { fetch });
    expect(finding.level).toBe(level);
    expect(finding.text).toMatch(text);
    expect(finding.text).not.toContain('canary-s3cret');
    expect(requests.map((r) => [r.url, r.form?.get('token')])).toEqual([
      [SERVER.introspection_endpoint, 'fieldpass-doctor-check'],
    ]);
  });

  it('no endpoint in discovery or settings → a problem naming FENTU_INTROSPECTION_ENDPOINT, no request', async () => {
    const { fetch, requests } = fakeFetch(() => jsonResponse({ active: false }));
    const finding = await checkIntrospection(CLIENT, { issuer: SERVER.issuer }, SERVER.issuer, { fetch });
    expect(finding).toEqual({ level: 'problem', text: expect.stringContaining('FENTU_INTROSPECTION_ENDPOINT') });
    expect(requests).toHaveLength(0);
  });

  it('FENTU_INTROSPECTION_ENDPOINT is used over discovery', async () => {
    const { fetch, requests } = fakeFetch(() => jsonResponse({ active: false }));
    await checkIntrospection({ ...CLIENT, endpoint: 'https://as.example/other' }, SERVER, SERVER.issuer, { fetch });
    expect(requests[0].url).toBe('https://as.example/other');
  });
});

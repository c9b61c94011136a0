import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../base/memory-store.js';
import { resolveAuthorizationServer } from './authorization-server.js';
import { parseClientConfig } from './config.js';
import { fakeFetch, jsonResponse, rejectionOf } from './fake-fetch.test-util.js';

const ISSUER = 'https://as.example.com';
const config = parseClientConfig(
  {
    PUBLIC_FENTU_ISSUER: ISSUER,
    PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
    PUBLIC_FENTU_API_BASE_URL: 'https://api.example.com',
  },
  'http://127.0.0.1:4173',
);

const METADATA = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  code_challenge_methods_supported: ['S256'],
  dpop_signing_alg_values_supported: ['ES256'],
  // Not kept: Fieldpass has no use for it.
  userinfo_endpoint: `${ISSUER}/me`,
};

/** Resolves the server from a discovery document with `extra` in it. */
function resolveWith(extra: Record<string, unknown>) {
  const { fetch, requests } = fakeFetch(() => jsonResponse({ ...METADATA, ...extra }));
  return { resolved: resolveAuthorizationServer(config, { store: createMemoryStore(), fetch }), requests };
}

describe('resolveAuthorizationServer: pushed authorization requests (RFC 9126 §5)', () => {
  it('keeps the PAR endpoint and whether the server requires it', async () => {
    const { resolved, requests } = resolveWith({
      pushed_authorization_request_endpoint: `${ISSUER}/par`,
      require_pushed_authorization_requests: true,
    });
    const server = await resolved;
    expect(requests.map((r) => r.url)).toEqual([`${ISSUER}/.well-known/openid-configuration`]);
    expect(server).toMatchObject({
      pushed_authorization_request_endpoint: `${ISSUER}/par`,
      require_pushed_authorization_requests: true,
      authorization_endpoint: `${ISSUER}/authorize`,
    });
    expect(server).not.toHaveProperty('userinfo_endpoint');
  });

  it('a server without PAR has no PAR endpoint', async () => {
    const server = await resolveWith({}).resolved;
    expect(server.pushed_authorization_request_endpoint).toBeUndefined();
    expect(server.require_pushed_authorization_requests).toBeUndefined();
  });

  it.each([
    ['plain http off loopback', 'http://as.example.com/par', 'INSECURE_ENDPOINT'],
    ['not a URL', 'par', 'CONFIG_INVALID'],
  ])('refuses a PAR endpoint that is %s, naming it', async (_name, endpoint, code) => {
    const err = await rejectionOf(resolveWith({ pushed_authorization_request_endpoint: endpoint }).resolved);
    expect(err.code).toBe(code);
    expect(err.details.variable).toBe("the server's pushed_authorization_request_endpoint");
  });

  it('accepts a loopback PAR endpoint over plain http, as the other endpoints', async () => {
    const endpoint = 'http://127.0.0.1:9000/request';
    const server = await resolveWith({ pushed_authorization_request_endpoint: endpoint }).resolved;
    expect(server.pushed_authorization_request_endpoint).toBe(endpoint);
  });
});

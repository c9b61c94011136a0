import { describe, expect, it } from 'vitest';
import { parseClientConfig } from '../oauth/config.js';
import { connectSources } from './csp.js';

const APP = 'https://fieldpass.example';

describe('connectSources', () => {
  it("names the app, the issuer's and the API's origins, and the inspector's extra origins on its pages", () => {
    const client = parseClientConfig(
      {
        PUBLIC_FENTU_ISSUER: 'https://auth.tenant.example/realms/x',
        PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
        PUBLIC_FENTU_API_BASE_URL: 'https://api.tenant.example/v1',
        PUBLIC_FENTU_AUTHORIZATION_ENDPOINT: 'https://auth.tenant.example/authorize',
        PUBLIC_FENTU_TOKEN_ENDPOINT: 'https://tokens.tenant.example/token',
      },
      APP,
    );
    const sources = connectSources({
      client,
      inspectOrigins: ['https://login.other.example', 'https://api.tenant.example'],
      inspect: { enabled: true, reason: 'INSPECT_ENABLED is set' },
    });
    expect(sources.app).toBe(
      "connect-src 'self' https://auth.tenant.example https://api.tenant.example https://tokens.tenant.example",
    );
    expect(sources.inspector).toBe(`${sources.app} https://login.other.example`);
    expect(sources.inspectorOrigins).toEqual([
      'https://auth.tenant.example',
      'https://api.tenant.example',
      'https://tokens.tenant.example',
      'https://login.other.example',
    ]);
  });

  it('adds no INSPECT_CONNECT_ORIGINS to any directive while the inspector is off', () => {
    const client = parseClientConfig(
      {
        PUBLIC_FENTU_ISSUER: 'https://auth.tenant.example',
        PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
        PUBLIC_FENTU_API_BASE_URL: 'https://api.tenant.example',
      },
      APP,
    );
    const sources = connectSources({
      client,
      inspectOrigins: ['https://login.other.example'],
      inspect: { enabled: false, reason: 'production default; INSPECT_ENABLED=1 turns it on' },
    });
    expect(sources.app).not.toContain('login.other.example');
    expect(sources.inspector).toBe(sources.app);
  });
});

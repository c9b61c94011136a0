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
});

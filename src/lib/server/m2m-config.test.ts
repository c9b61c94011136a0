import { describe, expect, it } from 'vitest';
import { rejectionOf } from '../oauth/fake-fetch.test-util.js';
import type { FieldpassError } from '../base/errors.js';
import { FENERGO_SCOPE_LIMIT, FENERGO_SCOPES } from '../catalogs/fenergo-scopes.js';
import { parseM2mProviders, parseRateLimit, validateScope, type M2mEnv } from './m2m-config.js';

/** A Fenergo-style provider: client_secret_post, Fenergo scope rules, a tenant header. */
const POST_ENV: M2mEnv = {
  M2M_PROVIDERS: 'fenergo',
  M2M_FENERGO_TOKEN_URL: 'https://identity.fenergo.example/connect/token',
  M2M_FENERGO_AUTH_METHOD: 'client_secret_post',
  M2M_FENERGO_CLIENT_ID: 'fenergo-client',
  M2M_FENERGO_CLIENT_SECRET: 'canary-secret-post',
  M2M_FENERGO_SCOPE: 'fenx.entitydata.read fenx.journey.read tenant/abc-123',
  M2M_FENERGO_SCOPE_RULES: 'fenergo',
  M2M_FENERGO_TENANT_ID: 'abc-123',
  M2M_FENERGO_API_BASE_URL: 'https://api.fenergo.example/entitydataquery/api/',
  M2M_FENERGO_ALLOW: 'GET /entities, POST /search',
  M2M_FENERGO_USER_SCOPE: 'read:customers',
};

/** A Fenris-style provider: client_secret_basic, no scope, no tenant. */
const BASIC_ENV: M2mEnv = {
  M2M_PROVIDERS: 'fenris',
  M2M_FENRIS_TOKEN_URL: 'https://auth.fenris.example/oauth/token',
  M2M_FENRIS_AUTH_METHOD: 'client_secret_basic',
  M2M_FENRIS_CLIENT_ID: 'fenris-client',
  M2M_FENRIS_CLIENT_SECRET: 'canary-secret-basic',
  M2M_FENRIS_API_BASE_URL: 'https://api.fenris.example',
  M2M_FENRIS_ALLOW: 'GET /policies',
  M2M_FENRIS_USER_SCOPE: 'read:assets',
};

/** A provider with a static API key (Fentu's "API Key Authentication"). */
const KEY_ENV: M2mEnv = {
  M2M_PROVIDERS: 'keyed',
  M2M_KEYED_MODE: 'api_key',
  M2M_KEYED_API_KEY: 'canary-api-key',
  M2M_KEYED_API_KEY_HEADER: 'X-Fentu-Key',
  M2M_KEYED_API_BASE_URL: 'https://api.fentu.example/v2',
  M2M_KEYED_ALLOW: 'GET /work-orders',
  M2M_KEYED_USER_SCOPE: 'read:work-orders',
};

/** The FieldpassError that parsing `env` throws; fails the test if it parses. */
function parseFailure(env: M2mEnv): Promise<FieldpassError> {
  return rejectionOf(Promise.resolve().then(() => parseM2mProviders(env)));
}

function scopeFailure(scope: string, rules: 'fenergo' | 'none'): Promise<FieldpassError> {
  return rejectionOf(Promise.resolve().then(() => validateScope(scope, rules, 'M2M_X_SCOPE')));
}

const fenergo = (overrides: M2mEnv) => ({ ...POST_ENV, ...overrides });

/**
 * Distinct catalog scopes whose space-joined string is exactly `length` characters (subset sum
 * over the catalog, each scope costing its length plus one separator).
 */
function catalogScopeString(length: number): string {
  const ids = FENERGO_SCOPES.map((s) => s.scope);
  // reach[n] = the scopes whose lengths plus separators sum to n (n = joined length + 1).
  const reach: (string[] | undefined)[] = [[]];
  for (const id of ids) {
    for (let n = length + 1; n >= id.length + 1; n -= 1) {
      const before = reach[n - id.length - 1];
      if (!reach[n] && before) reach[n] = [...before, id];
    }
  }
  const picked = reach[length + 1];
  if (!picked) throw new Error(`no catalog scopes join to ${length} characters`);
  return picked.join(' ');
}

describe('parseM2mProviders: valid configurations', () => {
  it('#81 #85 a client_secret_post provider with Fenergo rules, a tenant and an allow-list', () => {
    expect(parseM2mProviders(POST_ENV)).toEqual([
      {
        name: 'fenergo',
        auth: {
          mode: 'client_credentials',
          method: 'client_secret_post',
          tokenUrl: 'https://identity.fenergo.example/connect/token',
          clientId: 'fenergo-client',
          clientSecret: 'canary-secret-post',
          scope: 'fenx.entitydata.read fenx.journey.read tenant/abc-123',
        },
        apiBaseUrl: 'https://api.fenergo.example/entitydataquery/api',
        tenantId: 'abc-123',
        allow: [
          { method: 'GET', prefix: '/entities' },
          { method: 'POST', prefix: '/search' },
        ],
        userScope: 'read:customers',
      },
    ]);
  });

  it('#90 a client_secret_basic provider without scope or tenant', () => {
    expect(parseM2mProviders(BASIC_ENV)).toEqual([
      {
        name: 'fenris',
        auth: {
          mode: 'client_credentials',
          method: 'client_secret_basic',
          tokenUrl: 'https://auth.fenris.example/oauth/token',
          clientId: 'fenris-client',
          clientSecret: 'canary-secret-basic',
          scope: '',
        },
        apiBaseUrl: 'https://api.fenris.example',
        tenantId: undefined,
        allow: [{ method: 'GET', prefix: '/policies' }],
        userScope: 'read:assets',
      },
    ]);
  });

  it('an api_key provider, with the header name lower-cased', () => {
    expect(parseM2mProviders(KEY_ENV)).toEqual([
      {
        name: 'keyed',
        auth: { mode: 'api_key', header: 'x-fentu-key', key: 'canary-api-key' },
        apiBaseUrl: 'https://api.fentu.example/v2',
        tenantId: undefined,
        allow: [{ method: 'GET', prefix: '/work-orders' }],
        userScope: 'read:work-orders',
      },
    ]);
  });

  it('api_key mode defaults to the x-api-key header', () => {
    const [provider] = parseM2mProviders({ ...KEY_ENV, M2M_KEYED_API_KEY_HEADER: undefined });
    expect(provider.auth).toEqual({ mode: 'api_key', header: 'x-api-key', key: 'canary-api-key' });
  });

  it('several providers at once, in the order M2M_PROVIDERS names them', () => {
    const providers = parseM2mProviders({
      ...POST_ENV,
      ...BASIC_ENV,
      ...KEY_ENV,
      M2M_PROVIDERS: 'keyed, fenergo fenris',
    });
    expect(providers.map((p) => p.name)).toEqual(['keyed', 'fenergo', 'fenris']);
    expect(providers.map((p) => p.auth.mode)).toEqual(['api_key', 'client_credentials', 'client_credentials']);
  });

  it('no M2M_PROVIDERS → no providers', () => {
    expect(parseM2mProviders({})).toEqual([]);
  });

  it('#91 plain http is accepted for loopback hosts only', () => {
    const [provider] = parseM2mProviders(
      fenergo({
        M2M_FENERGO_TOKEN_URL: 'http://127.0.0.1:9000/token',
        M2M_FENERGO_API_BASE_URL: 'http://localhost:9200',
      }),
    );
    expect(provider.auth).toMatchObject({ tokenUrl: 'http://127.0.0.1:9000/token' });
    expect(provider.apiBaseUrl).toBe('http://localhost:9200');
  });

  it('a dashed provider name reads M2M_<NAME>_ variables with underscores', () => {
    const env = Object.fromEntries(
      Object.entries(KEY_ENV).map(([k, v]) => [k.replace('M2M_KEYED_', 'M2M_FEN_TU_'), v]),
    );
    const [provider] = parseM2mProviders({ ...env, M2M_PROVIDERS: 'fen-tu' });
    expect(provider.name).toBe('fen-tu');
    expect(provider.auth).toEqual({ mode: 'api_key', header: 'x-fentu-key', key: 'canary-api-key' });
  });
});

describe('parseM2mProviders: missing variables', () => {
  const cases: { mode: string; env: M2mEnv; variable: string }[] = [
    ...['TOKEN_URL', 'CLIENT_ID', 'CLIENT_SECRET', 'API_BASE_URL', 'ALLOW', 'USER_SCOPE'].map((v) => ({
      mode: 'client_secret_post',
      env: POST_ENV,
      variable: `M2M_FENERGO_${v}`,
    })),
    ...['TOKEN_URL', 'CLIENT_ID', 'CLIENT_SECRET', 'API_BASE_URL', 'ALLOW', 'USER_SCOPE'].map((v) => ({
      mode: 'client_secret_basic',
      env: BASIC_ENV,
      variable: `M2M_FENRIS_${v}`,
    })),
    ...['API_KEY', 'API_BASE_URL', 'ALLOW', 'USER_SCOPE'].map((v) => ({
      mode: 'api_key',
      env: KEY_ENV,
      variable: `M2M_KEYED_${v}`,
    })),
  ];

  it.each(cases)('#81 $mode without $variable → CONFIG_INVALID naming it', async ({ env, variable }) => {
    expect(env[variable]).toBeDefined();
    const err = await parseFailure({ ...env, [variable]: undefined });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe(variable);
  });

  it.each(cases)('$mode with $variable blank → CONFIG_INVALID naming it', async ({ env, variable }) => {
    const err = await parseFailure({ ...env, [variable]: '   ' });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe(variable);
  });
});

describe('parseM2mProviders: malformed variables', () => {
  it.each([
    ['M2M_FENERGO_AUTH_METHOD', 'private_key_jwt'],
    ['M2M_FENERGO_AUTH_METHOD', 'none'],
    ['M2M_FENERGO_MODE', 'password'],
    ['M2M_FENERGO_MODE', 'API_KEY'],
    ['M2M_FENERGO_SCOPE_RULES', 'auth0'],
    ['M2M_FENERGO_TOKEN_URL', 'not a url'],
    ['M2M_FENERGO_API_BASE_URL', '/relative/path'],
    ['M2M_FENERGO_TENANT_ID', 'abc 123'],
    ['M2M_FENERGO_TENANT_ID', 'abc/../x'],
    ['M2M_FENERGO_USER_SCOPE', 'read:customers admin'],
    ['M2M_FENERGO_USER_SCOPE', 'read:"customers"'],
    ['M2M_FENERGO_SCOPE', 'fenx.unknown.read'],
    ['M2M_PROVIDERS', 'Fenergo'],
    ['M2M_PROVIDERS', 'fenergo ../x'],
  ])('%s=%j → CONFIG_INVALID naming it', async (variable, value) => {
    const err = await parseFailure(fenergo({ [variable]: value }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe(variable);
  });

  it.each([
    ['M2M_FENERGO_TOKEN_URL', 'http://identity.fenergo.example/connect/token'],
    ['M2M_FENERGO_TOKEN_URL', 'http://10.0.0.5/token'],
    ['M2M_FENERGO_TOKEN_URL', 'ftp://identity.fenergo.example/token'],
    ['M2M_FENERGO_API_BASE_URL', 'http://api.fenergo.example'],
  ])('#91 %s=%s (not https, not loopback) → INSECURE_ENDPOINT naming it', async (variable, value) => {
    const err = await parseFailure(fenergo({ [variable]: value }));
    expect(err.code).toBe('INSECURE_ENDPOINT');
    expect(err.details.variable).toBe(variable);
  });

  it.each([
    'GET /entities/../admin',
    'GET /..',
    'GET //evil.example/x',
    'GET /entities//x',
    'DELETE /entities',
    'PUT /entities',
    'get /entities',
    'GET entities',
    'GET https://evil.example/entities',
    'GET /entities?x=1',
    'GET /entities%2F..',
    'GET /entities@evil.example',
    'GET',
    '/entities',
    ' , ',
  ])('#85 ALLOW entry %j → CONFIG_INVALID naming M2M_FENERGO_ALLOW', async (allow) => {
    const err = await parseFailure(fenergo({ M2M_FENERGO_ALLOW: allow }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe('M2M_FENERGO_ALLOW');
  });

  it('#85 one bad ALLOW entry among good ones still fails', async () => {
    const err = await parseFailure(fenergo({ M2M_FENERGO_ALLOW: 'GET /entities, GET /../admin, POST /search' }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe('M2M_FENERGO_ALLOW');
  });

  it('an ALLOW prefix loses its trailing slash; "/" stays "/"', () => {
    const [provider] = parseM2mProviders(fenergo({ M2M_FENERGO_ALLOW: 'GET /entities/, POST /' }));
    expect(provider.allow).toEqual([
      { method: 'GET', prefix: '/entities' },
      { method: 'POST', prefix: '/' },
    ]);
  });
});

describe('validateScope', () => {
  const scope300 = catalogScopeString(FENERGO_SCOPE_LIMIT);
  const scope301 = catalogScopeString(FENERGO_SCOPE_LIMIT + 1);
  const catalog = new Set(FENERGO_SCOPES.map((s) => s.scope));

  it('builds its long scope strings from real catalog scopes', () => {
    expect(FENERGO_SCOPE_LIMIT).toBe(300);
    expect(scope300).toHaveLength(300);
    expect(scope301).toHaveLength(301);
    for (const s of [...scope300.split(' '), ...scope301.split(' ')]) expect(catalog.has(s)).toBe(true);
  });

  it('Fenergo rules: exactly 300 characters of catalog scopes → accepted unchanged', () => {
    expect(validateScope(scope300, 'fenergo', 'M2M_X_SCOPE')).toBe(scope300);
  });

  it('Fenergo rules: 301 characters of catalog scopes → CONFIG_INVALID', async () => {
    const err = await scopeFailure(scope301, 'fenergo');
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe('M2M_X_SCOPE');
  });

  it('Fenergo rules: the limit applies to the scope as sent, with runs of spaces collapsed', () => {
    const spaced = scope300.replace(' ', '   ');
    expect(spaced.length).toBeGreaterThan(300);
    expect(validateScope(spaced, 'fenergo', 'M2M_X_SCOPE')).toBe(scope300);
  });

  it('rules none: no length limit', () => {
    expect(validateScope(scope301, 'none', 'M2M_X_SCOPE')).toBe(scope301);
  });

  it.each([
    'fenx.entitydata.read',
    'fenx.all',
    'scimapi.resource.query',
    'tenant/abc-123',
    'fenx.entitydata.read fenx.journey.read tenant/6f1c2d3e-0000-4000-8000-00000000f3n7',
    '',
  ])('Fenergo rules accept %j', (scope) => {
    expect(validateScope(scope, 'fenergo', 'M2M_X_SCOPE')).toBe(scope);
  });

  it.each([
    'fenx.unknown.read',
    'fenx.entitydata.read fenx.unknown.read',
    'FENX.ALL',
    'tenant/',
    'tenant/a b',
    'tenant/abc_123',
    'tenant/abc/def',
    'tenant',
    'constructor',
    '__proto__',
  ])('Fenergo rules refuse %j → CONFIG_INVALID', async (scope) => {
    const err = await scopeFailure(scope, 'fenergo');
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe('M2M_X_SCOPE');
  });

  it.each(['fenx.unknown.read', 'tenant/', 'tenant/a b', 'api://default/.read', 'read:anything'])(
    'rules none accept an unknown but well-formed scope %j',
    (scope) => {
      expect(validateScope(scope, 'none', 'M2M_X_SCOPE')).toBe(scope);
    },
  );

  it.each([
    ['fenergo', 'fenx.all "'],
    ['fenergo', 'fenx.all"'],
    ['none', 'read"'],
    ['none', '"read"'],
    ['none', 'read\\all'],
    ['none', 'read\tall'],
    ['none', 'réad'],
  ] as const)('rules %s refuse %j (RFC 6749 §3.3 characters) → CONFIG_INVALID', async (rules, scope) => {
    const err = await scopeFailure(scope, rules);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe('M2M_X_SCOPE');
  });

  it('parseM2mProviders names M2M_<NAME>_SCOPE for a bad scope', async () => {
    const err = await parseFailure(fenergo({ M2M_FENERGO_SCOPE: scope301 }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe('M2M_FENERGO_SCOPE');
  });

  it('parseM2mProviders with SCOPE_RULES=none accepts an unknown scope', () => {
    const [provider] = parseM2mProviders(
      fenergo({ M2M_FENERGO_SCOPE_RULES: 'none', M2M_FENERGO_SCOPE: 'fenx.unknown.read' }),
    );
    expect(provider.auth).toMatchObject({ scope: 'fenx.unknown.read' });
  });
});

describe('FENERGO_SCOPES: the shipped catalog', () => {
  const ids = FENERGO_SCOPES.map((s) => s.scope);

  it('has the 92 scopes of the Fenergo list, each id once', () => {
    expect(FENERGO_SCOPES).toHaveLength(92);
    expect(new Set(ids).size).toBe(92);
  });

  it.each(['fenx.all', 'fenx.entitydata.read', 'fenx.journey.read', 'scimapi.resource.query'])('includes %s', (id) => {
    expect(ids).toContain(id);
  });

  it('every id is a valid RFC 6749 scope token with a name', () => {
    for (const s of FENERGO_SCOPES) {
      expect(s.scope).toMatch(/^[\x21\x23-\x5B\x5D-\x7E]+$/);
      expect(s.name.length).toBeGreaterThan(0);
    }
  });
});

describe('base URL and API-key header are checked at start-up', () => {
  it.each([
    ['a query', 'https://api.fenris.example/v1?k=1'],
    ['a fragment', 'https://api.fenris.example/v1#x'],
    ['credentials', 'https://user:pass@api.fenris.example/v1'],
  ])('an API_BASE_URL with %s is refused, naming the variable', (_what, url) => {
    expect(() => parseM2mProviders({ ...BASIC_ENV, M2M_FENRIS_API_BASE_URL: url })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', details: { variable: 'M2M_FENRIS_API_BASE_URL' } }),
    );
  });

  it.each(['bad header', 'Authorization', 'cookie', 'x-key:1'])('API_KEY_HEADER "%s" is refused', (header) => {
    expect(() => parseM2mProviders({ ...KEY_ENV, M2M_KEYED_API_KEY_HEADER: header })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', details: { variable: 'M2M_KEYED_API_KEY_HEADER' } }),
    );
  });
});

describe('parseM2mProviders: every problem at once', () => {
  it('reports each missing or malformed variable of every provider in one error', () => {
    const env: M2mEnv = {
      ...POST_ENV,
      ...BASIC_ENV,
      M2M_PROVIDERS: 'fenergo fenris',
      M2M_FENERGO_TOKEN_URL: undefined,
      M2M_FENERGO_AUTH_METHOD: 'client_secret_jwt',
      M2M_FENRIS_ALLOW: 'DELETE /policies',
    };
    let err: FieldpassError | undefined;
    try {
      parseM2mProviders(env);
    } catch (caught) {
      err = caught as FieldpassError;
    }
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.details.problems?.map((p) => p.variable)).toEqual([
      'M2M_FENERGO_AUTH_METHOD',
      'M2M_FENERGO_TOKEN_URL',
      'M2M_FENRIS_ALLOW',
    ]);
    expect(JSON.stringify(err?.details)).not.toContain('canary-secret');
  });
});

describe('M2M_<NAME>_RATE_LIMIT', () => {
  it.each([
    ['100/60s', { limit: 100, windowMs: 60_000 }],
    ['5/1s', { limit: 5, windowMs: 1000 }],
    ['1000/1h', { limit: 1000, windowMs: 3_600_000 }],
    ['20/500ms', { limit: 20, windowMs: 500 }],
    [' 30 / 2m ', { limit: 30, windowMs: 120_000 }],
    ['1/24h', { limit: 1, windowMs: 86_400_000 }],
  ])('%j → %j', (value, rateLimit) => {
    expect(parseRateLimit(value, 'M2M_X_RATE_LIMIT')).toEqual(rateLimit);
    expect(parseM2mProviders(fenergo({ M2M_FENERGO_RATE_LIMIT: value }))[0].rateLimit).toEqual(rateLimit);
  });

  it('no RATE_LIMIT → no limit', () => {
    expect(parseM2mProviders(POST_ENV)[0].rateLimit).toBeUndefined();
  });

  it.each(['100', '100/', '/60s', '0/60s', '100/0s', '100/60', '100/60d', '-1/60s', '1.5/60s', '100/25h', 'ten/60s'])(
    '%j → CONFIG_INVALID naming M2M_FENERGO_RATE_LIMIT, with the expected form in the message',
    async (value) => {
      const err = await parseFailure(fenergo({ M2M_FENERGO_RATE_LIMIT: value }));
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.details.variable).toBe('M2M_FENERGO_RATE_LIMIT');
      expect(err.message).toContain('100/60s');
    },
  );

  it('is reported together with the provider’s other problems', async () => {
    const err = await parseFailure(fenergo({ M2M_FENERGO_RATE_LIMIT: 'lots', M2M_FENERGO_ALLOW: 'GET x' }));
    expect(err.details.problems?.map((p) => p.variable).sort()).toEqual([
      'M2M_FENERGO_ALLOW',
      'M2M_FENERGO_RATE_LIMIT',
    ]);
  });
});

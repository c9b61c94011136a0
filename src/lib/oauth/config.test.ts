import { describe, expect, it } from 'vitest';
import { CLIENT_VARIABLES, clientEnvOf, parseClientConfig, type ClientEnv } from './config.js';
import { FieldpassError, type FieldpassErrorCode } from '../base/errors.js';
import { FENTU_SCOPES } from './scopes.js';

const APP = 'http://127.0.0.1:4173';

/** A complete configuration for a real (non-sandbox) server. */
const CONFIGURED: ClientEnv = {
  PUBLIC_FENTU_ISSUER: 'https://as.example.com',
  PUBLIC_FENTU_CLIENT_ID: 'fieldpass-prod',
  PUBLIC_FENTU_API_BASE_URL: 'https://api.example.com',
};

function failureOf(env: ClientEnv): FieldpassError {
  try {
    parseClientConfig(env, APP);
  } catch (err) {
    expect(err).toBeInstanceOf(FieldpassError);
    return err as FieldpassError;
  }
  throw new Error('expected parseClientConfig to throw');
}

describe('parseClientConfig: sandbox defaults', () => {
  it('uses the local sandbox when nothing is configured', () => {
    const config = parseClientConfig({}, APP);
    expect(config.sandbox).toBe(true);
    expect(config.issuer).toBe('http://127.0.0.1:9000');
    expect(config.clientId).toBe('fieldpass');
    expect(config.apiBaseUrl).toBe('http://127.0.0.1:9100');
    expect(config.redirectUri).toBe(`${APP}/callback`);
    expect(config.endpoints).toBeUndefined();
    expect(config.scopes).toEqual([
      'read:work-orders',
      'write:work-orders',
      'read:customers',
      'write:customers',
      'read:assets',
      'write:assets',
      'admin',
    ]);
  });

  it('treats blank values as unset', () => {
    expect(parseClientConfig({ PUBLIC_FENTU_ISSUER: '   ', PUBLIC_FENTU_CLIENT_ID: '' }, APP).sandbox).toBe(true);
  });

  it('stays in sandbox mode when only the redirect URI is set', () => {
    const config = parseClientConfig({ PUBLIC_FENTU_REDIRECT_URI: `${APP}/callback?tenant=a` }, APP);
    expect(config.sandbox).toBe(true);
    expect(config.redirectUri).toBe(`${APP}/callback?tenant=a`);
  });
});

describe('parseClientConfig: a configured server', () => {
  it('reads every value and leaves sandbox mode', () => {
    const config = parseClientConfig({ ...CONFIGURED, PUBLIC_FENTU_SCOPES: 'read:work-orders read:customers' }, APP);
    expect(config).toMatchObject({
      sandbox: false,
      issuer: 'https://as.example.com',
      clientId: 'fieldpass-prod',
      apiBaseUrl: 'https://api.example.com',
      redirectUri: `${APP}/callback`,
    });
    expect(config.scopes).toEqual(['read:work-orders', 'read:customers']);
  });

  // #1: the issuer is compared character for character, so it is kept exactly as written.
  it.each(['https://as.example.com', 'https://as.example.com/', 'https://as.example.com/tenants/a'])(
    'keeps the issuer %s exactly',
    (issuer) => {
      expect(parseClientConfig({ ...CONFIGURED, PUBLIC_FENTU_ISSUER: issuer }, APP).issuer).toBe(issuer);
    },
  );

  it('trims surrounding whitespace from values', () => {
    const config = parseClientConfig({ ...CONFIGURED, PUBLIC_FENTU_ISSUER: '  https://as.example.com \n' }, APP);
    expect(config.issuer).toBe('https://as.example.com');
  });

  it.each([
    ['https://api.example.com/', 'https://api.example.com'],
    ['https://api.example.com/v1/', 'https://api.example.com/v1'],
  ])('drops the trailing slash of the API base URL %s', (value, expected) => {
    expect(parseClientConfig({ ...CONFIGURED, PUBLIC_FENTU_API_BASE_URL: value }, APP).apiBaseUrl).toBe(expected);
  });

  it('reads manual endpoints when both are given, with an optional revocation endpoint', () => {
    const config = parseClientConfig(
      {
        ...CONFIGURED,
        PUBLIC_FENTU_AUTHORIZATION_ENDPOINT: 'https://as.example.com/authorize',
        PUBLIC_FENTU_TOKEN_ENDPOINT: 'https://as.example.com/token',
        PUBLIC_FENTU_REVOCATION_ENDPOINT: 'https://as.example.com/revoke',
      },
      APP,
    );
    expect(config.endpoints).toEqual({
      authorization_endpoint: 'https://as.example.com/authorize',
      token_endpoint: 'https://as.example.com/token',
      revocation_endpoint: 'https://as.example.com/revoke',
    });
  });

  it('keeps a redirect URI with a query (#18)', () => {
    const config = parseClientConfig({ ...CONFIGURED, PUBLIC_FENTU_REDIRECT_URI: `${APP}/callback?tenant=a` }, APP);
    expect(config.redirectUri).toBe(`${APP}/callback?tenant=a`);
  });
});

describe('parseClientConfig: refused configurations', () => {
  const cases: { name: string; env: ClientEnv; code: FieldpassErrorCode; variable: string }[] = [
    {
      name: 'an issuer without a client id',
      env: { PUBLIC_FENTU_ISSUER: 'https://as.example.com', PUBLIC_FENTU_API_BASE_URL: 'https://api.example.com' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_CLIENT_ID',
    },
    {
      name: 'a client id without an issuer',
      env: { PUBLIC_FENTU_CLIENT_ID: 'x', PUBLIC_FENTU_API_BASE_URL: 'https://api.example.com' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_ISSUER',
    },
    {
      name: 'a server without an API base URL',
      env: { PUBLIC_FENTU_ISSUER: 'https://as.example.com', PUBLIC_FENTU_CLIENT_ID: 'x' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_API_BASE_URL',
    },
    {
      name: 'an issuer that is not a URL',
      env: { ...CONFIGURED, PUBLIC_FENTU_ISSUER: 'as.example.com' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_ISSUER',
    },
    {
      name: '#4 a plain-http issuer that is not loopback',
      env: { ...CONFIGURED, PUBLIC_FENTU_ISSUER: 'http://as.example.com' },
      code: 'INSECURE_ENDPOINT',
      variable: 'PUBLIC_FENTU_ISSUER',
    },
    {
      name: 'an authorization endpoint without a token endpoint',
      env: { ...CONFIGURED, PUBLIC_FENTU_AUTHORIZATION_ENDPOINT: 'https://as.example.com/authorize' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_TOKEN_ENDPOINT',
    },
    {
      name: 'a token endpoint without an authorization endpoint',
      env: { ...CONFIGURED, PUBLIC_FENTU_TOKEN_ENDPOINT: 'https://as.example.com/token' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_AUTHORIZATION_ENDPOINT',
    },
    {
      name: '#4 a plain-http token endpoint that is not loopback',
      env: {
        ...CONFIGURED,
        PUBLIC_FENTU_AUTHORIZATION_ENDPOINT: 'https://as.example.com/authorize',
        PUBLIC_FENTU_TOKEN_ENDPOINT: 'http://as.example.com/token',
      },
      code: 'INSECURE_ENDPOINT',
      variable: 'PUBLIC_FENTU_TOKEN_ENDPOINT',
    },
    {
      name: '#4 a plain-http revocation endpoint that is not loopback',
      env: {
        ...CONFIGURED,
        PUBLIC_FENTU_AUTHORIZATION_ENDPOINT: 'https://as.example.com/authorize',
        PUBLIC_FENTU_TOKEN_ENDPOINT: 'https://as.example.com/token',
        PUBLIC_FENTU_REVOCATION_ENDPOINT: 'http://192.168.1.5/revoke',
      },
      code: 'INSECURE_ENDPOINT',
      variable: 'PUBLIC_FENTU_REVOCATION_ENDPOINT',
    },
    {
      name: '#4 a plain-http API that is not loopback',
      env: { ...CONFIGURED, PUBLIC_FENTU_API_BASE_URL: 'http://api.example.com' },
      code: 'INSECURE_ENDPOINT',
      variable: 'PUBLIC_FENTU_API_BASE_URL',
    },
    {
      name: '#18 a redirect URI with a fragment',
      env: { ...CONFIGURED, PUBLIC_FENTU_REDIRECT_URI: `${APP}/callback#x` },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_REDIRECT_URI',
    },
    {
      name: '#18 a redirect URI with an empty fragment',
      env: { ...CONFIGURED, PUBLIC_FENTU_REDIRECT_URI: `${APP}/callback#` },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_REDIRECT_URI',
    },
    {
      name: '#20 a redirect URI on another origin',
      env: { ...CONFIGURED, PUBLIC_FENTU_REDIRECT_URI: 'https://other.example/callback' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_REDIRECT_URI',
    },
    {
      name: '#20 a redirect URI on the same host under another name',
      env: { ...CONFIGURED, PUBLIC_FENTU_REDIRECT_URI: 'http://localhost:4173/callback' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_REDIRECT_URI',
    },
    {
      name: '#20 a redirect URI on another path',
      env: { ...CONFIGURED, PUBLIC_FENTU_REDIRECT_URI: `${APP}/callback2` },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_REDIRECT_URI',
    },
    {
      name: '#18 a relative redirect URI',
      env: { ...CONFIGURED, PUBLIC_FENTU_REDIRECT_URI: '/callback' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_REDIRECT_URI',
    },
    {
      name: '#17 a plain-http redirect URI that is not loopback',
      env: { ...CONFIGURED, PUBLIC_FENTU_REDIRECT_URI: 'http://app.example.com/callback' },
      code: 'INSECURE_ENDPOINT',
      variable: 'PUBLIC_FENTU_REDIRECT_URI',
    },
    {
      name: 'a scope with a double quote',
      env: { ...CONFIGURED, PUBLIC_FENTU_SCOPES: 'read:work-orders "admin' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_SCOPES',
    },
    {
      name: 'a scope with a backslash',
      env: { ...CONFIGURED, PUBLIC_FENTU_SCOPES: 'read:work-orders read\\customers' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_SCOPES',
    },
    {
      name: 'a scope with a character outside ASCII',
      env: { ...CONFIGURED, PUBLIC_FENTU_SCOPES: 'réad:work-orders' },
      code: 'CONFIG_INVALID',
      variable: 'PUBLIC_FENTU_SCOPES',
    },
  ];

  it.each(cases)('$name → $code naming $variable', ({ env, code, variable }) => {
    const err = failureOf(env);
    expect(err.code).toBe(code);
    expect(err.details.variable).toBe(variable);
  });
});

describe('parseClientConfig: scopes', () => {
  it('keeps unknown scope ids and drops repeats', () => {
    const config = parseClientConfig(
      { ...CONFIGURED, PUBLIC_FENTU_SCOPES: ' read:work-orders  tenant.audit\tread:work-orders ' },
      APP,
    );
    expect(config.scopes).toEqual(['read:work-orders', 'tenant.audit']);
  });

  it('offers every Fentu scope when none are configured', () => {
    const config = parseClientConfig(CONFIGURED, APP);
    expect(config.scopes).toEqual(FENTU_SCOPES);
  });
});

describe('parseClientConfig: every problem at once', () => {
  it('names each variable at fault in one error, not one per restart', () => {
    const err = failureOf({
      PUBLIC_FENTU_ISSUER: 'http://as.example.com',
      PUBLIC_FENTU_SCOPES: 'read:work-orders "quoted"',
      PUBLIC_FENTU_REDIRECT_URI: 'https://elsewhere.example/callback',
    });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.problems?.map((p) => p.variable)).toEqual([
      'PUBLIC_FENTU_ISSUER',
      'PUBLIC_FENTU_REDIRECT_URI',
      'PUBLIC_FENTU_SCOPES',
      'PUBLIC_FENTU_CLIENT_ID',
      'PUBLIC_FENTU_API_BASE_URL',
    ]);
    expect(err.details.variable).toBe('PUBLIC_FENTU_ISSUER');
  });

  it('a single problem keeps its own code and message', () => {
    const err = failureOf({ ...CONFIGURED, PUBLIC_FENTU_ISSUER: 'http://as.example.com' });
    expect(err.code).toBe('INSECURE_ENDPOINT');
    expect(err.details.problems).toBeUndefined();
  });
});

describe('parseClientConfig: PUBLIC_FENTU_PAR', () => {
  it.each([
    [undefined, 'auto'],
    ['auto', 'auto'],
    ['off', 'off'],
    ['  off ', 'off'],
    ['', 'auto'],
  ])('%j → %s', (value, par) => {
    expect(parseClientConfig({ ...CONFIGURED, PUBLIC_FENTU_PAR: value }, APP).par).toBe(par);
  });

  it('alone, it keeps the sandbox in use', () => {
    const config = parseClientConfig({ PUBLIC_FENTU_PAR: 'off' }, APP);
    expect(config).toMatchObject({ sandbox: true, par: 'off' });
  });

  it.each(['on', 'true', 'OFF', 'required', 'auto off'])('%j is refused, naming the variable', (value) => {
    const err = failureOf({ ...CONFIGURED, PUBLIC_FENTU_PAR: value });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe('PUBLIC_FENTU_PAR');
  });

  it('a bad value is listed with the other problems', () => {
    const err = failureOf({ PUBLIC_FENTU_ISSUER: 'http://as.example.com', PUBLIC_FENTU_PAR: 'yes' });
    expect(err.details.problems?.map((p) => p.variable)).toEqual([
      'PUBLIC_FENTU_ISSUER',
      'PUBLIC_FENTU_CLIENT_ID',
      'PUBLIC_FENTU_API_BASE_URL',
      'PUBLIC_FENTU_PAR',
    ]);
  });
});

describe('clientEnvOf', () => {
  it('keeps the PUBLIC_FENTU_* variables as given, every one named, and nothing else', () => {
    const env = clientEnvOf({
      PUBLIC_FENTU_ISSUER: ' https://as.example.com ',
      PUBLIC_FENTU_PAR: 'off',
      M2M_PROVIDERS: 'fenergo',
      FENTU_INTROSPECTION_CLIENT_SECRET: 'secret',
    } as ClientEnv);
    expect(Object.keys(env)).toEqual([...CLIENT_VARIABLES]);
    expect(env.PUBLIC_FENTU_ISSUER).toBe(' https://as.example.com ');
    expect(env.PUBLIC_FENTU_PAR).toBe('off');
    expect(env.PUBLIC_FENTU_CLIENT_ID).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain('secret');
  });
});

import { describe, expect, it } from 'vitest';
import type { FieldpassError } from '../base/errors.js';
import {
  configProblems,
  expectedOrigin,
  formatProblems,
  MIN_METRICS_TOKEN_LENGTH,
  nodeBodySizeLimit,
  parseInspectEnabled,
  parseInspectOrigins,
  parseSharedState,
  readOpsSettings,
  readSettings,
} from './settings.js';

const APP = 'http://127.0.0.1:4173';

function problemsOf(env: Record<string, string | undefined>) {
  try {
    readSettings(env, APP);
  } catch (err) {
    return configProblems(err as FieldpassError);
  }
  throw new Error('expected readSettings to throw');
}

describe('readSettings', () => {
  it('uses the sandbox, its two providers and no inspector origins when nothing is set', () => {
    const settings = readSettings({}, APP);
    expect(settings.client.sandbox).toBe(true);
    expect(settings.providers.map((p) => p.name)).toEqual(['fenergo', 'fenris']);
    expect(settings.inspectOrigins).toEqual([]);
  });

  it('reports problems in the client, provider and inspector settings together', () => {
    const problems = problemsOf({
      PUBLIC_FENTU_ISSUER: 'https://as.example.com',
      PUBLIC_FENTU_API_BASE_URL: 'https://api.example.com',
      M2M_PROVIDERS: 'fenris',
      INSPECT_CONNECT_ORIGINS: 'https://ok.example not-a-url',
    });
    const variables = problems.map((p) => p.variable);
    expect(variables).toContain('PUBLIC_FENTU_CLIENT_ID');
    expect(variables).toContain('M2M_FENRIS_TOKEN_URL');
    expect(variables).toContain('INSPECT_CONNECT_ORIGINS');
    expect(formatProblems(problems)).toMatch(
      /^Fieldpass's configuration has \d+ problems:\n {2}- PUBLIC_FENTU_CLIENT_ID/,
    );
  });
});

describe('parseInspectOrigins', () => {
  it.each([
    ['', []],
    [
      'https://login.example.com/path https://auth.example:8443',
      ['https://login.example.com', 'https://auth.example:8443'],
    ],
  ])('%j → %j', (value, origins) => {
    expect(parseInspectOrigins(value)).toEqual(origins);
  });

  it.each(['login.example.com', 'ftp://files.example', 'javascript:alert(1)'])('refuses %j, naming it', (value) => {
    expect(() => parseInspectOrigins(value)).toThrow(value);
  });
});

describe('INSPECT_ENABLED', () => {
  const TENANT = {
    PUBLIC_FENTU_ISSUER: 'https://auth.tenant.example',
    PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
    PUBLIC_FENTU_API_BASE_URL: 'https://api.tenant.example',
    M2M_PROVIDERS: '',
  };

  it('is off in a production build talking to a real issuer, and INSPECT_ENABLED turns it on', () => {
    expect(readSettings(TENANT, APP).inspect.enabled).toBe(false);
    expect(readSettings({ ...TENANT, INSPECT_ENABLED: '1' }, APP).inspect.enabled).toBe(true);
    expect(readSettings({ ...TENANT, INSPECT_ENABLED: 'true' }, APP).inspect.enabled).toBe(true);
  });

  it('is on with the sandbox (a loopback issuer) and under vite dev; INSPECT_ENABLED=0 turns it off', () => {
    expect(readSettings({}, APP).inspect.enabled).toBe(true);
    expect(readSettings({ ...TENANT, PUBLIC_FENTU_ISSUER: 'http://localhost:9000' }, APP).inspect.enabled).toBe(true);
    expect(readSettings(TENANT, APP, { dev: true }).inspect.enabled).toBe(true);
    expect(readSettings({ INSPECT_ENABLED: '0' }, APP).inspect.enabled).toBe(false);
    expect(readSettings({ ...TENANT, INSPECT_ENABLED: 'false' }, APP, { dev: true }).inspect.enabled).toBe(false);
  });

  it.each([
    ['1', true],
    ['0', false],
    ['true', true],
    ['FALSE', false],
    [' 1 ', true],
    ['', false],
    [undefined, false],
  ])('%j → %s (production, real issuer)', (value, enabled) => {
    expect(parseInspectEnabled(value, { dev: false, issuer: 'https://auth.tenant.example' }).enabled).toBe(enabled);
  });

  it.each(['yes', 'on', '2', 'enabled'])('refuses %j with CONFIG_INVALID naming INSPECT_ENABLED', (value) => {
    expect(problemsOf({ ...TENANT, INSPECT_ENABLED: value })).toEqual([
      { variable: 'INSPECT_ENABLED', message: `INSPECT_ENABLED must be 1, 0, true or false; it is "${value}".` },
    ]);
  });

  it('says which rule decided, for the start-up log', () => {
    expect(readSettings(TENANT, APP).inspect.reason).toMatch(/INSPECT_ENABLED=1/);
    expect(readSettings({}, APP).inspect.reason).toMatch(/issuer is on this machine/);
  });
});

describe('expectedOrigin', () => {
  it.each([
    [{ ORIGIN: 'https://fieldpass.example.com/' }, 'https://fieldpass.example.com'],
    [{ PUBLIC_FENTU_REDIRECT_URI: 'https://app.example/callback' }, 'https://app.example'],
    [{ ORIGIN: 'not a url' }, 'http://127.0.0.1:5173'],
    [{}, 'http://127.0.0.1:5173'],
  ])('%j → %s', (env, origin) => {
    expect(expectedOrigin(env)).toBe(origin);
  });
});

describe('the server operation settings', () => {
  it('defaults to a 64 KiB body limit and no metrics', () => {
    expect(readSettings({}, APP).ops).toEqual({ apiMaxBodyBytes: 65_536 });
  });

  it('reads the body limit, the metrics port (on 127.0.0.1 unless told) and the metrics token', () => {
    const token = 'a'.repeat(MIN_METRICS_TOKEN_LENGTH);
    const env = { API_MAX_BODY_BYTES: '65536', METRICS_PORT: '9464', METRICS_TOKEN: token };
    expect(readOpsSettings(env)).toEqual({
      apiMaxBodyBytes: 65_536,
      metricsListen: { port: 9464, host: '127.0.0.1' },
      metricsToken: token,
    });
    expect(readOpsSettings({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metricsListen).toEqual({
      port: 9464,
      host: '0.0.0.0',
    });
  });

  it.each([
    [{ API_MAX_BODY_BYTES: '0' }, 'API_MAX_BODY_BYTES'],
    [{ API_MAX_BODY_BYTES: '1M' }, 'API_MAX_BODY_BYTES'],
    [{ API_MAX_BODY_BYTES: '-5' }, 'API_MAX_BODY_BYTES'],
    [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
    [{ METRICS_PORT: 'metrics' }, 'METRICS_PORT'],
    [{ METRICS_PORT: '3000' }, 'METRICS_PORT'],
    [{ METRICS_PORT: '4173', PORT: '4173' }, 'METRICS_PORT'],
    [{ METRICS_HOST: '127.0.0.1' }, 'METRICS_HOST'],
    [{ METRICS_PORT: '9464', METRICS_HOST: 'http://x/' }, 'METRICS_HOST'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
    [{ METRICS_TOKEN: `${'a'.repeat(40)} b` }, 'METRICS_TOKEN'],
  ])('%j is refused, naming %s', (env, variable) => {
    expect(problemsOf(env).map((p) => p.variable)).toEqual([variable]);
  });

  it('reports every operation problem with the others, each naming its variable', () => {
    const problems = problemsOf({
      INSPECT_CONNECT_ORIGINS: 'nope',
      API_MAX_BODY_BYTES: 'lots',
      METRICS_PORT: '0',
      METRICS_TOKEN: 'short',
    });
    expect(problems.map((p) => p.variable)).toEqual([
      'INSPECT_CONNECT_ORIGINS',
      'API_MAX_BODY_BYTES',
      'METRICS_PORT',
      'METRICS_TOKEN',
    ]);
    expect(problems.every((p) => !p.message.includes('short'))).toBe(true);
  });
});

describe('nodeBodySizeLimit', () => {
  it.each([
    [undefined, 524_288],
    ['1024', 1024],
    ['2M', 2_097_152],
    ['1g', 1_073_741_824],
    ['Infinity', Infinity],
  ])('BODY_SIZE_LIMIT=%s → %d bytes', (value, bytes) => {
    expect(nodeBodySizeLimit({ BODY_SIZE_LIMIT: value })).toBe(bytes);
  });
});

describe('parseSharedState (REDIS_URL, M2M_CACHE_KEY)', () => {
  const KEY = Buffer.alloc(32, 7).toString('base64');

  it('nothing set → each instance keeps its own state', () => {
    expect(parseSharedState({})).toBeUndefined();
    expect(readSettings({}, APP).sharedState).toBeUndefined();
  });

  it.each(['redis://127.0.0.1:6379', 'rediss://user:pw@redis.example:6380/2'])('%s with a key → both', (url) => {
    const settings = readSettings({ REDIS_URL: url, M2M_CACHE_KEY: KEY }, APP);
    expect(settings.sharedState?.url).toBe(url);
    expect(settings.sharedState?.sealingKey).toEqual(new Uint8Array(32).fill(7));
  });

  it.each<[Record<string, string>, string[]]>([
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, ['M2M_CACHE_KEY']],
    [{ REDIS_URL: 'http://redis.example', M2M_CACHE_KEY: KEY }, ['REDIS_URL']],
    [{ REDIS_URL: 'redis.example:6379', M2M_CACHE_KEY: KEY }, ['REDIS_URL']],
    [{ REDIS_URL: 'redis://', M2M_CACHE_KEY: KEY }, ['REDIS_URL']],
    [{ REDIS_URL: 'redis://r:6379', M2M_CACHE_KEY: Buffer.alloc(16).toString('base64') }, ['M2M_CACHE_KEY']],
    [
      { REDIS_URL: 'redis://r:6379', M2M_CACHE_KEY: 'not base64 at all, and far too long to be a key' },
      ['M2M_CACHE_KEY'],
    ],
    [{ REDIS_URL: 'ftp://r', M2M_CACHE_KEY: 'short' }, ['REDIS_URL', 'M2M_CACHE_KEY']],
    [{ M2M_CACHE_KEY: 'short' }, ['M2M_CACHE_KEY']],
  ])('%j → problems with %j', (env, variables) => {
    expect(problemsOf(env).map((p) => p.variable)).toEqual(variables);
  });

  it('never repeats the URL (its password) or the key in a problem', () => {
    const env = { REDIS_URL: 'http://user:hunter2@redis.example', M2M_CACHE_KEY: 'c2VjcmV0LWtleQ==' };
    const text = formatProblems(problemsOf(env));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('c2VjcmV0LWtleQ==');
  });
});

describe('M2M_USER_RATE_LIMIT', () => {
  it('defaults to 120 calls a minute per user', () => {
    expect(readSettings({}, APP).userRateLimit).toEqual({ limit: 120, windowMs: 60_000 });
  });

  it('reads a limit per window', () => {
    expect(readSettings({ M2M_USER_RATE_LIMIT: '30/10s' }, APP).userRateLimit).toEqual({ limit: 30, windowMs: 10_000 });
  });

  it('refuses anything else, naming the variable', () => {
    expect(problemsOf({ M2M_USER_RATE_LIMIT: 'lots' }).map((p) => p.variable)).toEqual(['M2M_USER_RATE_LIMIT']);
  });
});

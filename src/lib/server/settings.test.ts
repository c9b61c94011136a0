import { describe, expect, it } from 'vitest';
import type { FieldpassError } from '../oauth/errors.js';
import {
  configProblems,
  expectedOrigin,
  formatProblems,
  parseInspectOrigins,
  parseSharedState,
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

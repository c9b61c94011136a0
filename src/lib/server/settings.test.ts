import { describe, expect, it } from 'vitest';
import type { FieldpassError } from '../oauth/errors.js';
import { configProblems, expectedOrigin, formatProblems, parseInspectOrigins, readSettings } from './settings.js';

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

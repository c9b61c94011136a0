import { describe, expect, it } from 'vitest';
import { parseCallerConfig, type CallerEnv } from './caller-config.js';
import { configProblems, readSettings } from './settings.js';

const CREDENTIALS = { FENTU_INTROSPECTION_CLIENT_ID: 'route', FENTU_INTROSPECTION_CLIENT_SECRET: 's3cret' };

/** The variables named by the problems `env` has, in order. */
function variablesAtFault(env: CallerEnv, manualEndpoints = false): string[] {
  try {
    parseCallerConfig(env, manualEndpoints);
  } catch (err) {
    return configProblems(err).map((p) => p.variable);
  }
  return [];
}

describe('parseCallerConfig', () => {
  it('nothing set → jwt, assumed rather than chosen, no introspection', () => {
    expect(parseCallerConfig({}, false)).toEqual({ tokenFormat: 'jwt', formatChosen: false, introspection: undefined });
  });

  it('credentials set → auto, client_secret_basic, endpoint from discovery', () => {
    expect(parseCallerConfig(CREDENTIALS, false)).toEqual({
      tokenFormat: 'auto',
      formatChosen: false,
      introspection: {
        clientId: 'route',
        clientSecret: 's3cret',
        authMethod: 'client_secret_basic',
        endpoint: undefined,
      },
    });
  });

  it('every setting given', () => {
    const config = parseCallerConfig(
      {
        ...CREDENTIALS,
        FENTU_ACCESS_TOKEN_FORMAT: 'opaque',
        FENTU_INTROSPECTION_AUTH_METHOD: 'client_secret_post',
        FENTU_INTROSPECTION_ENDPOINT: 'https://as.example/introspect',
      },
      true,
    );
    expect(config).toMatchObject({ tokenFormat: 'opaque', formatChosen: true });
    expect(config.introspection).toMatchObject({
      authMethod: 'client_secret_post',
      endpoint: 'https://as.example/introspect',
    });
  });

  it.each<[string, CallerEnv, string[], boolean?]>([
    ['an unknown format', { FENTU_ACCESS_TOKEN_FORMAT: 'JWT' }, ['FENTU_ACCESS_TOKEN_FORMAT']],
    ['opaque without credentials', { FENTU_ACCESS_TOKEN_FORMAT: 'opaque' }, ['FENTU_INTROSPECTION_CLIENT_ID']],
    ['auto without credentials', { FENTU_ACCESS_TOKEN_FORMAT: 'auto' }, ['FENTU_INTROSPECTION_CLIENT_ID']],
    ['an id without a secret', { FENTU_INTROSPECTION_CLIENT_ID: 'route' }, ['FENTU_INTROSPECTION_CLIENT_SECRET']],
    ['a secret without an id', { FENTU_INTROSPECTION_CLIENT_SECRET: 's' }, ['FENTU_INTROSPECTION_CLIENT_ID']],
    [
      'an unknown auth method',
      { ...CREDENTIALS, FENTU_INTROSPECTION_AUTH_METHOD: 'private_key_jwt' },
      ['FENTU_INTROSPECTION_AUTH_METHOD'],
    ],
    [
      'a plain-http endpoint',
      { ...CREDENTIALS, FENTU_INTROSPECTION_ENDPOINT: 'http://as.example/introspect' },
      ['FENTU_INTROSPECTION_ENDPOINT'],
    ],
    ['no endpoint without discovery', CREDENTIALS, ['FENTU_INTROSPECTION_ENDPOINT'], true],
    [
      'several at once',
      {
        FENTU_ACCESS_TOKEN_FORMAT: 'x',
        FENTU_INTROSPECTION_SECRET: 'ignored',
        FENTU_INTROSPECTION_CLIENT_ID: 'r',
        FENTU_INTROSPECTION_ENDPOINT: 'nope',
      } as CallerEnv,
      ['FENTU_INTROSPECTION_CLIENT_SECRET', 'FENTU_ACCESS_TOKEN_FORMAT', 'FENTU_INTROSPECTION_ENDPOINT'],
    ],
  ])('%s → a problem naming %j', (_name, env, variables, manual = false) => {
    expect(variablesAtFault(env, manual)).toEqual(variables);
  });

  it('readSettings reports these among the other problems, and never the secret', () => {
    let thrown: unknown;
    try {
      readSettings(
        { INSPECT_CONNECT_ORIGINS: 'not-an-origin', FENTU_INTROSPECTION_CLIENT_SECRET: 's3cret' },
        'http://127.0.0.1:5173',
      );
    } catch (err) {
      thrown = err;
    }
    const problems = configProblems(thrown);
    expect(problems.map((p) => p.variable)).toEqual(['FENTU_INTROSPECTION_CLIENT_ID', 'INSPECT_CONNECT_ORIGINS']);
    expect(JSON.stringify(problems)).not.toContain('s3cret');
  });
});

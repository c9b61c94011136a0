import { describe, expect, it } from 'vitest';
import { assertSecureEndpoint } from './http.js';
import { FieldpassError } from './errors.js';

/** The FieldpassError `run` throws; fails the test when it throws nothing or something else. */
function thrownBy(run: () => unknown): FieldpassError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(FieldpassError);
    return err as FieldpassError;
  }
  throw new Error('expected a FieldpassError, nothing was thrown');
}

describe('assertSecureEndpoint (#4)', () => {
  it.each([
    'https://as.example.com/token',
    'http://127.0.0.1:9000',
    'http://127.0.0.1:9000/token',
    'http://[::1]:9000',
    'http://localhost',
    'http://localhost:5173/callback',
  ])('admits %s', (value) => {
    expect(assertSecureEndpoint(value, 'PUBLIC_FENTU_TOKEN_ENDPOINT').href).toBe(new URL(value).href);
  });

  it.each([
    'http://as.example.com',
    'http://as.example.com/token',
    'http://192.168.1.5',
    'http://192.168.1.5:3000/token',
    'http://127.0.0.1.nip.io/token',
    'ftp://127.0.0.1/token',
    'javascript:alert(1)',
  ])('refuses %s as INSECURE_ENDPOINT naming the variable', (value) => {
    const err = thrownBy(() => assertSecureEndpoint(value, 'PUBLIC_FENTU_TOKEN_ENDPOINT'));
    expect(err.code).toBe('INSECURE_ENDPOINT');
    expect(err.details.variable).toBe('PUBLIC_FENTU_TOKEN_ENDPOINT');
  });

  it.each(['not a url', '/token', ''])('refuses %j as CONFIG_INVALID naming the variable', (value) => {
    const err = thrownBy(() => assertSecureEndpoint(value, 'PUBLIC_FENTU_ISSUER'));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.details.variable).toBe('PUBLIC_FENTU_ISSUER');
  });
});

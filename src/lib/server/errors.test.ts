import { describe, expect, it } from 'vitest';
import { BodyTooLargeError } from './api-guard.js';
import { CallerError, CallerUnavailableError } from './caller-errors.js';
import { errorResponse, ServerError } from './errors.js';
import { M2mError } from './m2m-errors.js';

const SECRET = 'db-password-in-a-stack-trace';

async function answer(err: unknown) {
  const response = errorResponse(err);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('ServerError', () => {
  it.each([
    [400, true],
    [499, true],
    [500, false],
    [503, false],
  ])('status %i is exposed by default: %s', (status, expose) => {
    expect(new ServerError({ status, code: 'x', description: 'y' }).expose).toBe(expose);
  });
});

describe('errorResponse', () => {
  it('shows an exposed error as { error, error_description }, no-store, with its headers', async () => {
    const err = new ServerError({
      status: 403,
      code: 'forbidden',
      description: 'Only Fieldpass itself can change this.',
      headers: { 'x-extra': '1' },
    });
    const { status, headers, body } = await answer(err);
    expect(status).toBe(403);
    expect(body).toEqual({ error: 'forbidden', error_description: 'Only Fieldpass itself can change this.' });
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(headers.get('x-extra')).toBe('1');
  });

  it('hides an unexposed error behind server_error, keeping its status and headers', async () => {
    const err = new ServerError({
      status: 502,
      code: 'database_down',
      description: SECRET,
      headers: { 'retry-after': '7' },
    });
    const { status, headers, body } = await answer(err);
    expect(status).toBe(502);
    expect(body.error).toBe('server_error');
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(JSON.stringify(body)).not.toContain('database_down');
    expect(headers.get('retry-after')).toBe('7');
  });

  it.each([
    ['an Error', new Error(SECRET)],
    ['a string', SECRET],
    ['undefined', undefined],
  ])('answers %s with a plain 500 server_error', async (_name, err) => {
    const { status, headers, body } = await answer(err);
    expect(status).toBe(500);
    expect(Object.keys(body)).toEqual(['error', 'error_description']);
    expect(body.error).toBe('server_error');
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(headers.get('cache-control')).toBe('no-store');
  });

  it('a 401 carries its WWW-Authenticate challenge', async () => {
    const { status, headers, body } = await answer(new CallerError(401, 'Sign in first'));
    expect(status).toBe(401);
    expect(body).toEqual({ error: 'invalid_token', error_description: 'Sign in first' });
    expect(headers.get('www-authenticate')).toBe(
      'Bearer realm="fieldpass", error="invalid_token", error_description="Sign in first"',
    );
  });

  it('a 403 for a missing scope names the scope in the body and the challenge', async () => {
    const { status, headers, body } = await answer(new CallerError(403, 'This needs jobs:read', 'jobs:read'));
    expect(status).toBe(403);
    expect(body).toEqual({
      error: 'insufficient_scope',
      error_description: 'This needs jobs:read',
      scope: 'jobs:read',
    });
    expect(headers.get('www-authenticate')).toContain('scope="jobs:read"');
  });

  it('a refused DPoP proof gets the DPoP challenge', async () => {
    const { headers, body } = await answer(new CallerError(401, 'Proof reused', undefined, 'invalid_dpop_proof'));
    expect(body.error).toBe('invalid_dpop_proof');
    expect(headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", /);
  });

  it('an unavailable caller check is a shown 503 with Retry-After, never its operator cause', async () => {
    const { status, headers, body } = await answer(new CallerUnavailableError(`introspection refused ${SECRET}`));
    expect(status).toBe(503);
    expect(body.error).toBe('service_unavailable');
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(headers.get('retry-after')).toBe('5');
  });

  it.each([
    [new M2mError('upstream_timeout'), 504, 'upstream_timeout', null],
    [new M2mError('upstream_auth_failed'), 502, 'upstream_auth_failed', null],
    [new M2mError('rate_limited', { status: 429, retryAfter: 30 }), 429, 'rate_limited', '30'],
    [new M2mError('unknown_provider'), 404, 'unknown_provider', null],
  ])('the partner route shows its own 4xx and 5xx codes: %#', async (err, status, code, retryAfter) => {
    const { status: sent, headers, body } = await answer(err);
    expect(sent).toBe(status);
    expect(body).toEqual({ error: code, error_description: err.message });
    expect(headers.get('retry-after')).toBe(retryAfter);
  });

  it('a body too large names the limit, and closes the connection when the body had no length', async () => {
    const { status, headers, body } = await answer(new BodyTooLargeError(1024, true));
    expect(status).toBe(413);
    expect(body.error).toBe('payload_too_large');
    expect(body.error_description).toContain('1024');
    expect(headers.get('connection')).toBe('close');
  });
});

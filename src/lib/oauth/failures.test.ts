import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import type { FieldpassErrorCode } from '../base/errors.js';
import { TEST_SERVER, jsonResponse } from './fake-fetch.test-util.js';
import { toFieldpassError, type FailureContext } from './failures.js';

const client: oauth.Client = { client_id: 'fieldpass' };

/** What oauth4webapi throws for this token endpoint answer, as the refresh and the code exchange see it. */
async function tokenEndpointError(response: Response): Promise<unknown> {
  return oauth.processRefreshTokenResponse(TEST_SERVER, client, response).then(
    () => {
      throw new Error('expected the answer to be refused');
    },
    (err: unknown) => err,
  );
}

const oauthError = (status: number, error: string) => () =>
  jsonResponse({ error, error_description: `${error} described` }, status);

describe('toFieldpassError for token endpoint error responses', () => {
  const cases: [name: string, response: () => Response, context: FailureContext, code: FieldpassErrorCode][] = [
    ['400 invalid_grant', oauthError(400, 'invalid_grant'), 'refresh', 'SESSION_ENDED'],
    ['400 invalid_request', oauthError(400, 'invalid_request'), 'refresh', 'SESSION_ENDED'],
    ['401 invalid_client', oauthError(401, 'invalid_client'), 'refresh', 'SESSION_ENDED'],
    ['400 unauthorized_client', oauthError(400, 'unauthorized_client'), 'refresh', 'SESSION_ENDED'],
    ['400 unsupported_grant_type', oauthError(400, 'unsupported_grant_type'), 'refresh', 'SESSION_ENDED'],
    ['400 invalid_scope', oauthError(400, 'invalid_scope'), 'refresh', 'SESSION_ENDED'],
    ['400 invalid_dpop_proof', oauthError(400, 'invalid_dpop_proof'), 'refresh', 'SESSION_ENDED'],
    // A request to try again with the server's nonce (RFC 9449 §8), not a refusal.
    ['400 use_dpop_nonce', oauthError(400, 'use_dpop_nonce'), 'refresh', 'SERVER_ERROR'],
    ['503 temporarily_unavailable', oauthError(503, 'temporarily_unavailable'), 'refresh', 'SERVER_ERROR'],
    ['500 server_error', oauthError(500, 'server_error'), 'refresh', 'SERVER_ERROR'],
    ['429 slow_down', oauthError(429, 'slow_down'), 'refresh', 'RATE_LIMITED'],
    // Not an OAuth error response: nothing says the grant is over.
    [
      '400 with an HTML body',
      () => new Response('<h1>Bad Request</h1>', { status: 400, headers: { 'content-type': 'text/html' } }),
      'refresh',
      'TOKEN_RESPONSE_INVALID',
    ],
    // Only a refresh ends a session; elsewhere the same answers keep their meaning.
    ['400 invalid_grant', oauthError(400, 'invalid_grant'), 'code-exchange', 'CODE_REJECTED'],
    ['401 invalid_client', oauthError(401, 'invalid_client'), 'code-exchange', 'CODE_REJECTED'],
    ['400 use_dpop_nonce', oauthError(400, 'use_dpop_nonce'), 'code-exchange', 'CODE_REJECTED'],
    ['401 invalid_client', oauthError(401, 'invalid_client'), 'revocation', 'SERVER_ERROR'],
    ['400 invalid_request', oauthError(400, 'invalid_request'), 'revocation', 'SERVER_ERROR'],
    // A pushed authorization request refused is the sign-in refused (RFC 9126 §2.3).
    ['400 invalid_request', oauthError(400, 'invalid_request'), 'pushed-authorization', 'SIGN_IN_REJECTED'],
    ['401 invalid_client', oauthError(401, 'invalid_client'), 'pushed-authorization', 'SIGN_IN_REJECTED'],
    ['503 temporarily_unavailable', oauthError(503, 'temporarily_unavailable'), 'pushed-authorization', 'SERVER_ERROR'],
    ['429 slow_down', oauthError(429, 'slow_down'), 'pushed-authorization', 'RATE_LIMITED'],
  ];

  it.each(cases)('%s in a %s → %s', async (_name, response, context, code) => {
    const answer = response();
    const failure = toFieldpassError(await tokenEndpointError(answer), context);
    expect(failure.code).toBe(code);
    expect(failure.details.status).toBe(answer.status);
  });

  it('keeps the server’s error and description in details, and the original in cause', async () => {
    const err = await tokenEndpointError(oauthError(401, 'invalid_client')());
    const failure = toFieldpassError(err, 'refresh');
    expect(failure.details).toMatchObject({
      status: 401,
      error: 'invalid_client',
      description: 'invalid_client described',
    });
    expect(failure.cause).toBe(err);
  });
});

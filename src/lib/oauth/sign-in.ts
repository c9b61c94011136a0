import * as oauth from 'oauth4webapi';
import type { ServerEndpoints } from './authorization-server.js';
import type { ParSetting } from './config.js';
import { FieldpassError } from '../base/errors.js';
import {
  assertTokenType,
  attemptKeyName,
  DPOP_KEY,
  dpopKeyPair,
  requireDpopHandle,
  supportsDpop,
  withNonceRetry,
} from './dpop.js';
import { toFieldpassError } from './failures.js';
import { requestOptions } from '../base/http.js';
import { nowOf, type CoreRuntime } from './runtime.js';
import { defaultLock } from '../base/lock.js';
import { discardPendingAttempts, PENDING_PREFIX } from './pending.js';
import { getSession, SESSION_KEY, sessionFromTokenResponse, sessionLockName, type Session } from './session.js';

/** A pending attempt lives 10 minutes, the longest an authorization code should (RFC 6749 §4.1.2). */
const PENDING_TTL_MS = 10 * 60 * 1000;

/** The longest callback URL Fieldpass reads; anything longer is hostile or broken. */
const MAX_CALLBACK_URL_LENGTH = 8192;

/** Everything the callback needs to finish one attempt, bound to this browser (RFC 9700 §4.4.2). */
export interface PendingSignIn {
  state: string;
  code_verifier: string;
  nonce?: string;
  /** The server this attempt went to: the callback checks `iss` against it and trades the code there. */
  server: ServerEndpoints;
  client_id: string;
  redirect_uri: string;
  requested_scope: string;
  return_to: string;
  created_at: number;
  /** True when the tokens are to be bound to a DPoP key (RFC 9449). */
  dpop?: boolean;
  /** Where that key is stored: the session's own key, or a new one for this attempt alone. */
  dpop_key?: string;
  /** The mark of the browser tab that started the attempt (see `CoreRuntime.tab`). */
  tab?: string;
}

export interface StartSignInInput {
  server: ServerEndpoints;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  /** A same-origin path, already checked with `safeReturnTo`. */
  returnTo: string;
  /** PUBLIC_FENTU_PAR: whether the request may be pushed to the server first. */
  par: ParSetting;
}

/**
 * Where sign-in pushes its authorization request (RFC 9126 §2): the server's endpoint for it,
 * unless the setting is `off`. A server that requires it (§5) while the setting is `off` is
 * refused as a configuration problem, before anything is sent.
 */
export function parEndpoint(server: ServerEndpoints, par: ParSetting): string | undefined {
  if (par === 'auto') return server.pushed_authorization_request_endpoint;
  if (server.require_pushed_authorization_requests) {
    throw new FieldpassError('CONFIG_INVALID', 'PUBLIC_FENTU_PAR must be auto: this server requires PAR.', {
      variable: 'PUBLIC_FENTU_PAR',
    });
  }
  return undefined;
}

/**
 * Builds the authorization request (RFC 6749 §4.1.1) with PKCE S256 (RFC 7636 §4) and a fresh
 * `state` — and a `nonce` when `openid` is requested — and stores the attempt for the callback.
 * When the server offers PAR (see `parEndpoint`), the parameters go to it from here, with a DPoP
 * proof when the tokens are to be bound, and the URL carries only `client_id` and the
 * `request_uri` it answers (RFC 9126 §4); a push that fails leaves no attempt behind. A new
 * attempt replaces any earlier one still pending, so a response to the old one is refused.
 */
export async function startSignIn(
  input: StartSignInInput,
  runtime: CoreRuntime,
): Promise<{ url: URL; pending: PendingSignIn }> {
  const push = parEndpoint(input.server, input.par);
  await discardPendingAttempts(runtime);
  const scope = [...new Set(input.scopes)].join(' ');
  // Asking for more scopes keeps the key the current tokens are bound to. A sign-in without a
  // session gets a new key of its own, which replaces the device key only when the sign-in
  // completes, so a session another tab is finishing meanwhile keeps the key it is bound to.
  const dpop = supportsDpop(input.server);
  const state = oauth.generateRandomState();
  const dpopKey = dpop ? ((await getSession(runtime)) ? DPOP_KEY : attemptKeyName(state)) : undefined;
  const keyPair = dpopKey ? await dpopKeyPair(runtime, dpopKey, dpopKey !== DPOP_KEY) : undefined;
  const pending: PendingSignIn = {
    state,
    code_verifier: oauth.generateRandomCodeVerifier(),
    nonce: input.scopes.includes('openid') ? oauth.generateRandomNonce() : undefined,
    server: input.server,
    client_id: input.clientId,
    redirect_uri: input.redirectUri,
    requested_scope: scope,
    return_to: input.returnTo,
    created_at: nowOf(runtime),
    dpop,
    dpop_key: dpopKey,
    tab: await runtime.tab,
  };
  const url = new URL(input.server.authorization_endpoint);
  const proof = keyPair && oauth.DPoP({}, keyPair);
  let params = Object.entries({
    response_type: 'code',
    client_id: input.clientId,
    redirect_uri: input.redirectUri,
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.code_verifier),
    code_challenge_method: 'S256',
    nonce: pending.nonce,
    // Binds the code to the key, so a stolen code is useless without it (RFC 9449 §10).
    dpop_jkt: await proof?.calculateThumbprint(),
  }).filter((param): param is [string, string] => !!param[1]);
  await runtime.store.set(PENDING_PREFIX + state, pending);
  if (push) {
    // Pushed as a public client (RFC 9126 §2), with a proof by the same key (RFC 9449 §10.1).
    const client = { client_id: input.clientId };
    try {
      const { request_uri } = await withNonceRetry(async () =>
        oauth.processPushedAuthorizationResponse(
          input.server,
          client,
          await oauth.pushedAuthorizationRequest(input.server, client, oauth.None(), params, {
            ...requestOptions(runtime, push),
            DPoP: proof,
          }),
        ),
      );
      params = [
        ['client_id', input.clientId],
        ['request_uri', request_uri],
      ];
    } catch (err) {
      // Nothing is left that a callback could finish: the attempt goes, and its own key with it.
      await discardPendingAttempts(runtime);
      throw toFieldpassError(err, 'pushed-authorization');
    }
  }
  for (const [name, value] of params) url.searchParams.set(name, value);
  return { url, pending };
}

/**
 * Finishes a sign-in from the callback URL: finds and deletes the pending attempt by `state`,
 * validates the response with oauth4webapi (state, `iss` per RFC 9207, error responses, repeated
 * parameters) before any request is made, trades the code once (RFC 6749 §4.1.3, RFC 7636 §4.5)
 * and stores the token set. Returns the session and the page to go back to.
 */
export async function completeSignIn(
  callbackUrl: string,
  runtime: CoreRuntime,
): Promise<{ session: Session; returnTo: string }> {
  // A malformed callback that may carry a real attempt's state spends every pending attempt, so
  // none can be finished later by whatever sent it. One without any state names no attempt.
  const refuse = async (failure: FieldpassError): Promise<never> => {
    await discardPendingAttempts(runtime);
    throw failure;
  };
  if (callbackUrl.length > MAX_CALLBACK_URL_LENGTH) {
    return refuse(new FieldpassError('CALLBACK_INVALID', 'Callback URL too long'));
  }
  const params = new URL(callbackUrl).searchParams;
  const states = params.getAll('state');
  if (states.length === 0) throw new FieldpassError('STATE_MISSING', 'No state');
  if (states.length > 1) {
    return refuse(new FieldpassError('CALLBACK_INVALID', 'More than one state'));
  }

  // Taking the record deletes it: the attempt is single-use whatever happens next.
  const pending = await runtime.store.take<PendingSignIn>(PENDING_PREFIX + states[0]);
  if (!pending) throw new FieldpassError('STATE_UNKNOWN', 'No attempt has this state');
  // A response opened in another tab (pasted, or sent there) finishes nothing, and is spent. A
  // mark known now is checked before the code is sent; one still on its way, before storing.
  const sameTab = async () => {
    if (pending.tab !== (await runtime.tab)) throw new FieldpassError('STATE_UNKNOWN', 'Started in another tab');
  };
  try {
    if (typeof runtime.tab !== 'object') await sameTab();
    return await finishAttempt(pending, params, runtime, sameTab);
  } catch (err) {
    // A failed attempt's own DPoP key is of no further use.
    if (pending.dpop_key && pending.dpop_key !== DPOP_KEY) await runtime.store.del(pending.dpop_key);
    throw err;
  }
}

/** The rest of `completeSignIn`, once the attempt is taken: checks, the exchange, the stored session. */
async function finishAttempt(
  pending: PendingSignIn,
  params: URLSearchParams,
  runtime: CoreRuntime,
  sameTab: () => Promise<void>,
): Promise<{ session: Session; returnTo: string }> {
  if (nowOf(runtime) - pending.created_at > PENDING_TTL_MS) {
    throw new FieldpassError('STATE_EXPIRED', 'Attempt expired');
  }

  const client: oauth.Client = { client_id: pending.client_id };
  let validated: URLSearchParams;
  try {
    validated = oauth.validateAuthResponse(pending.server, client, params, pending.state);
  } catch (err) {
    const refused = err instanceof oauth.AuthorizationResponseError;
    throw new FieldpassError(
      !refused ? 'CALLBACK_INVALID' : err.error === 'access_denied' ? 'SIGN_IN_CANCELLED' : 'SIGN_IN_REJECTED',
      (err as Error).message,
      refused ? { error: err.error, description: err.error_description } : {},
      err,
    );
  }
  // Exactly one code in the query (RFC 6749 §3.1, §4.1.2); checked here so the failure is the callback's.
  if (validated.getAll('code').length !== 1) {
    throw new FieldpassError('CALLBACK_INVALID', 'Not exactly one code');
  }

  let tokens: oauth.TokenEndpointResponse;
  try {
    const DPoP = pending.dpop ? await requireDpopHandle(runtime, pending.dpop_key ?? DPOP_KEY) : undefined;
    tokens = await withNonceRetry(async () => {
      const response = await oauth.authorizationCodeGrantRequest(
        pending.server,
        client,
        oauth.None(),
        validated,
        pending.redirect_uri,
        pending.code_verifier,
        { ...requestOptions(runtime, pending.server.token_endpoint), DPoP },
      );
      return oauth.processAuthorizationCodeResponse(pending.server, client, response, {
        expectedNonce: pending.nonce ?? oauth.expectNoNonce,
        requireIdToken: pending.nonce !== undefined,
      });
    });
    assertTokenType(tokens, pending.dpop === true);
  } catch (err) {
    throw toFieldpassError(err, 'code-exchange');
  }

  await sameTab();
  const session = sessionFromTokenResponse(tokens, {
    server: pending.server,
    clientId: pending.client_id,
    requestedScope: pending.requested_scope,
    receivedAt: nowOf(runtime),
    claims: oauth.getValidatedIdTokenClaims(tokens),
    dpop: pending.dpop === true,
  });
  // Under the refresh lock, so a refresh another tab is making cannot write its result over this.
  await (runtime.lock ?? defaultLock)(sessionLockName(session), async () => {
    if (pending.dpop_key && pending.dpop_key !== DPOP_KEY) {
      const pair = await runtime.store.get(pending.dpop_key);
      if (!pair) throw new FieldpassError('SESSION_ENDED', 'The DPoP key is gone');
      await runtime.store.set(DPOP_KEY, pair);
      await runtime.store.del(pending.dpop_key);
    }
    await runtime.store.set(SESSION_KEY, session);
  });
  runtime.onChange?.({ kind: 'stored' });
  return { session, returnTo: pending.return_to };
}

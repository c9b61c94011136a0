// The inspector's attempt: the authorization request it builds (RFC 6749 §4.1.1, PKCE, state,
// nonce, dpop_jkt) and the record it keeps until the callback arrives. Framework-free.
import * as oauth from 'oauth4webapi';
import { dpopKeyPair, supportsDpop } from '../oauth/dpop.js';
import type { CoreRuntime } from '../oauth/runtime.js';
import type { Profile } from './profile-model.js';
import { formProblem } from './recording.js';

/**
 * What the server has (RFC 8414 §2), as the inspector shows and uses it. `issuer` is absent when
 * the endpoints were entered by hand without one: then no `iss` is compared with anything.
 */
export type InspectedServer = Partial<oauth.AuthorizationServer> & {
  authorization_endpoint: string;
  token_endpoint: string;
};

/**
 * The issuer oauth4webapi is given when none was entered: not an https URL, so it never equals an
 * `iss` a server sends (RFC 8414 §2), and any issuer comparison the library makes fails, never passes.
 */
const NO_ISSUER = 'urn:fieldpass:inspector:no-issuer-entered';

/** `server` as oauth4webapi takes it: it requires an issuer (see NO_ISSUER). */
export function libraryServer(server: InspectedServer): oauth.AuthorizationServer & InspectedServer {
  return { ...server, issuer: server.issuer ?? NO_ISSUER };
}

/** A started attempt, kept in IndexedDB until its callback arrives. */
export interface InspectionAttempt {
  state: string;
  code_verifier: string;
  code_challenge: string;
  nonce?: string;
  server: InspectedServer;
  client_id: string;
  redirect_uri: string;
  scope: string;
  dpop_key?: string;
  created_at: number;
  profile_name: string;
}

/** Where attempts are kept; the rest of the key is the `state`. */
export const INSPECT_PREFIX = 'inspect:';
/** Where an attempt's DPoP key is kept; the rest of the key is the `state`. */
export const INSPECT_KEY_PREFIX = 'key:inspect-dpop:';

/** Whether the scopes ask for an ID token (OpenID Connect Core §3.1.2.1). */
export function asksForIdToken(scopes: readonly string[]): boolean {
  return scopes.includes('openid');
}

export const OPENID_NEEDS_ISSUER =
  'Enter the issuer: with the openid scope the server sends an ID token, whose iss must equal the issuer (OpenID Connect Core §3.1.3.7). Or remove openid from the scopes.';

/** One parameter of the authorization request, with what it is for. */
export interface ExplainedParameter {
  name: string;
  value: string;
  meaning: string;
}

const MEANINGS: Record<string, string> = {
  response_type: '"code": the authorization-code flow (RFC 6749 §4.1.1).',
  client_id: 'Who is asking: the client registered at the server (RFC 6749 §2.2).',
  redirect_uri: 'Where the server sends the answer. It must equal a registered URI exactly (RFC 6749 §3.1.2).',
  scope: 'What access is asked for (RFC 6749 §3.3). The server may grant less.',
  state:
    'A one-time random value the callback must bring back unchanged: it ties the answer to this attempt (RFC 6749 §10.12).',
  code_challenge:
    'SHA-256 of the code verifier (PKCE, RFC 7636 §4.2); the verifier itself is sent only to the token endpoint.',
  code_challenge_method: '"S256": the challenge is a SHA-256 hash, not the verifier in plain text (RFC 7636 §4.3).',
  nonce: 'A one-time value the ID token must carry, against replayed ID tokens (OpenID Connect Core §3.1.2.1).',
  dpop_jkt: 'The thumbprint of the DPoP key the tokens will be bound to (RFC 9449 §10).',
};

/**
 * Builds the authorization request (RFC 6749 §4.1.1) with PKCE S256 (RFC 7636), `state`, a `nonce`
 * with `openid`, and `dpop_jkt` when the server takes DPoP; stores the attempt for the callback.
 * Throws a `StepProblemError` (nothing stored) when `openid` is asked of a server with no issuer.
 */
export async function startInspection(
  profile: Profile,
  server: InspectedServer,
  runtime: CoreRuntime,
): Promise<{ url: URL; parameters: ExplainedParameter[]; attempt: InspectionAttempt }> {
  if (!server.issuer && asksForIdToken(profile.scopes)) throw formProblem(OPENID_NEEDS_ISSUER, 'issuer');
  const state = oauth.generateRandomState();
  const code_verifier = oauth.generateRandomCodeVerifier();
  const code_challenge = await oauth.calculatePKCECodeChallenge(code_verifier);
  const scope = profile.scopes.join(' ');
  // A new inspection voids earlier ones, their verifiers and keys (as a new sign-in does).
  for (const key of await runtime.store.keys()) {
    if (key.startsWith(INSPECT_PREFIX) || key.startsWith(INSPECT_KEY_PREFIX)) await runtime.store.del(key);
  }
  const dpop_key = supportsDpop(libraryServer(server)) ? INSPECT_KEY_PREFIX + state : undefined;
  const attempt: InspectionAttempt = {
    state,
    code_verifier,
    code_challenge,
    nonce: asksForIdToken(profile.scopes) ? oauth.generateRandomNonce() : undefined,
    server,
    client_id: profile.clientId ?? '',
    redirect_uri: profile.redirectUri ?? '',
    scope,
    dpop_key,
    created_at: Date.now(),
    profile_name: profile.name,
  };
  const values: [string, string | undefined][] = [
    ['response_type', 'code'],
    ['client_id', attempt.client_id],
    ['redirect_uri', attempt.redirect_uri],
    ['scope', scope || undefined],
    ['state', state],
    ['code_challenge', code_challenge],
    ['code_challenge_method', 'S256'],
    ['nonce', attempt.nonce],
  ];
  if (dpop_key) {
    const pair = await dpopKeyPair(runtime, dpop_key, true);
    values.push(['dpop_jkt', await oauth.DPoP({}, pair).calculateThumbprint()]);
  }
  const url = new URL(server.authorization_endpoint);
  const parameters: ExplainedParameter[] = [];
  for (const [name, value] of values) {
    if (value === undefined) continue;
    url.searchParams.set(name, value);
    parameters.push({ name, value, meaning: MEANINGS[name] ?? '' });
  }
  await runtime.store.set(INSPECT_PREFIX + state, attempt);
  return { url, parameters, attempt };
}

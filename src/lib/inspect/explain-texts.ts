// The error explainer's texts: what each OAuth error code means, why it probably happened and
// what to check, in plain words. Data only: explain-readings.ts picks the text that fits what is
// known, and explain.ts answers with it. Framework-free.
import { FENERGO_SCOPE_LIMIT } from '../catalogs/fenergo-scopes.js';
import type { ExplanationText } from './explain.js';
import { addToConnectOrigins } from './recording.js';

const ISSUE_NEW_SIGN_IN = 'Start a new sign-in: a refused authorization code cannot be used again.';

const MALFORMED_TOKEN_REQUEST = {
  source: 'standard',
  title: 'The token request is malformed',
  meaning:
    'The token endpoint could not read the request: a required parameter is missing or repeated, or a value is not one it accepts.',
  whatToCheck: [
    'Copy the token request as curl from the step-by-step view and read each parameter.',
    'Read error_description: servers usually name the parameter.',
  ],
  undetermined: true,
} satisfies Partial<ExplanationText>;

const MALFORMED_TOKEN_REQUEST_CAUSES = [
  'The body was sent as JSON or in the query string; it must be a form-encoded (application/x-www-form-urlencoded) POST body.',
  'A parameter appears twice.',
  'client_id is missing for a public client.',
];

/** invalid_request, by the endpoint that answered and what the description names. */
export const INVALID_REQUEST = {
  resource: {
    source: 'standard',
    variant: 'resource',
    title: 'The API found the request malformed',
    meaning:
      'The API could not read the request: a required parameter is missing or repeated, or the access token was sent in more than one way.',
    likelyCauses: [
      'The token was sent twice, for example in the Authorization header and also as an access_token query or form parameter.',
      'The Authorization header is malformed: a missing "Bearer " (or "DPoP ") prefix, or extra quotes or spaces.',
      'A parameter the API requires is missing or has a value it does not accept.',
    ],
    whatToCheck: [
      'Send the token once, in the Authorization header only.',
      'Read the WWW-Authenticate header and error_description: APIs usually name the problem.',
    ],
    spec: ['RFC 6750 §3.1', 'RFC 6750 §2'],
  },
  introspection: {
    source: 'standard',
    variant: 'introspection',
    title: 'The introspection request is malformed',
    meaning: 'The introspection endpoint could not read the request.',
    likelyCauses: [
      'The token parameter is missing or empty.',
      'The body was sent as JSON instead of application/x-www-form-urlencoded.',
      'The client did not authenticate the way this endpoint requires.',
    ],
    whatToCheck: ['Check the request body in the Network panel: token=…, form-encoded, and the client’s credentials.'],
    spec: ['RFC 7662 §2.1', 'RFC 7662 §2.3'],
    undetermined: true,
  },
  revocation: {
    source: 'standard',
    variant: 'revocation',
    title: 'The revocation request is malformed',
    meaning: 'The revocation endpoint could not read the request.',
    likelyCauses: [
      'The token parameter is missing or empty.',
      'The body was sent as JSON instead of application/x-www-form-urlencoded.',
      'client_id is missing for a public client.',
    ],
    whatToCheck: ['Check the request body in the Network panel: token=… and client_id=…, form-encoded.'],
    spec: ['RFC 7009 §2.1', 'RFC 7009 §2.2.1'],
  },
  verifierMissing: {
    source: 'standard',
    variant: 'verifier-missing',
    title: 'The token request has no valid code_verifier',
    meaning:
      'The code was issued for a request with a code_challenge, so the server needs the matching code_verifier, and it is missing or malformed.',
    likelyCauses: [
      'The pending sign-in, which holds the verifier, was lost: storage cleared, a private window, or the callback opened on another origin (localhost against 127.0.0.1).',
      'The verifier is not 43–128 characters of A–Z, a–z, 0–9 and - . _ ~.',
    ],
    whatToCheck: [
      'Open the app and receive the callback on the same origin (same host and port).',
      'Check that the token request body contains code_verifier, exactly once.',
    ],
    spec: ['RFC 7636 §4.5', 'RFC 7636 §4.1', 'RFC 6749 §5.2'],
  },
  token: {
    ...MALFORMED_TOKEN_REQUEST,
    variant: 'token',
    likelyCauses: ['grant_type, code, redirect_uri or code_verifier is missing.', ...MALFORMED_TOKEN_REQUEST_CAUSES],
    spec: ['RFC 6749 §5.2', 'RFC 6749 §4.1.3'],
  },
  refresh: {
    ...MALFORMED_TOKEN_REQUEST,
    variant: 'refresh',
    likelyCauses: [
      'grant_type=refresh_token or the refresh_token itself is missing.',
      ...MALFORMED_TOKEN_REQUEST_CAUSES,
    ],
    spec: ['RFC 6749 §5.2', 'RFC 6749 §6'],
  },
  pkceRequired: {
    source: 'standard',
    variant: 'pkce-required',
    title: 'The server requires PKCE',
    meaning:
      'The authorization request has no usable code_challenge, and this server does not issue codes without one.',
    likelyCauses: [
      'code_challenge or code_challenge_method is missing.',
      'code_challenge_method is plain, or something other than S256.',
      'The challenge is not 43 base64url characters (padding = left in, or standard base64 with + and /).',
    ],
    whatToCheck: [
      'Check the authorization URL carries code_challenge and code_challenge_method=S256.',
      'Check code_challenge_methods_supported in the server metadata.',
    ],
    spec: ['RFC 7636 §4.4.1', 'RFC 7636 §4.2', 'RFC 6749 §4.1.2.1'],
  },
  authorization: {
    source: 'standard',
    variant: 'authorization',
    title: 'The sign-in request is malformed',
    meaning:
      'The authorization server found a required parameter missing, a parameter repeated, or a value it cannot use in the authorization URL.',
    likelyCauses: [
      'A required parameter is missing: response_type, client_id, or code_challenge where the server requires PKCE.',
      'A parameter appears twice, or has a value the server does not support.',
      'The URL was built by hand and is not encoded properly (spaces in scope left unencoded, for example).',
    ],
    whatToCheck: [
      'Open the authorization URL in the step-by-step view and check each parameter appears once.',
      'Read error_description: servers usually name the parameter.',
    ],
    spec: ['RFC 6749 §4.1.2.1', 'RFC 6749 §4.1.1'],
    undetermined: true,
  },
} satisfies Record<string, ExplanationText>;

/** invalid_client, by the endpoint that answered. */
export const INVALID_CLIENT = {
  introspection: {
    source: 'standard',
    variant: 'introspection',
    title: 'The server will not let this client introspect',
    meaning:
      'The introspection endpoint requires the caller to authenticate, and it did not accept this client. It is about the client, not the token.',
    likelyCauses: [
      'A browser app is a public client with no secret, and many servers let only confidential clients (an API, a server route) introspect.',
      'The client_id, secret or authentication method differs from the registration.',
    ],
    whatToCheck: [
      'Introspect from a server that holds a client secret, or validate a JWT access token locally.',
      'Check which clients the server lets call its introspection endpoint.',
    ],
    spec: ['RFC 7662 §2.1', 'RFC 7662 §4'],
  },
  authorization: {
    source: 'standard',
    variant: 'authorization',
    title: 'The server does not know this client',
    meaning:
      'The client_id in the authorization request is unknown or disabled, so the server cannot trust any redirect_uri and shows its own error page.',
    likelyCauses: [
      'A typo in client_id, or a client_id from another environment or tenant.',
      'The client was deleted or disabled at the server.',
    ],
    whatToCheck: ['Copy the client_id again from the server’s client settings for this exact issuer.'],
    spec: ['RFC 6749 §4.1.2.1', 'RFC 6749 §2.2'],
  },
  clientAuth: {
    source: 'standard',
    variant: 'client-auth',
    title: 'The server did not accept the client’s credentials',
    meaning:
      'The token endpoint could not identify or authenticate the client (usually HTTP 401). It is about the app, not the user.',
    likelyCauses: [
      'client_id differs from the one the server has (a typo, or another environment).',
      'The client is registered as confidential, so the server expects a secret, but a browser app sends none. A browser app must be registered as a public client (token_endpoint_auth_method none) and never hold a secret.',
      'The server expects another authentication method: client_secret_basic against client_secret_post, or private_key_jwt.',
      'For a server-side client: a wrong or expired secret, or a Basic header built without form-encoding the id and secret first.',
    ],
    whatToCheck: [
      'Compare the client_id in the token request with the one in the authorization request and in the server’s settings.',
      'Check the client’s token_endpoint_auth_method in the registration.',
      'Read the WWW-Authenticate header of a 401: it names the method the server expects.',
    ],
    spec: ['RFC 6749 §5.2', 'RFC 6749 §2.3.1', 'RFC 7591 §2'],
    undetermined: true,
  },
} satisfies Record<string, ExplanationText>;

const REFRESH_SPEC = ['RFC 6749 §6', 'RFC 6749 §5.2', 'RFC 9700 §4.14'];

/** invalid_grant in answer to a refresh, by what the description names. */
export const INVALID_GRANT_AT_REFRESH = {
  reused: {
    source: 'standard',
    variant: 'refresh-reused',
    title: 'The refresh token was already used',
    meaning:
      'The server rotates refresh tokens: each one works once. An old one coming back looks like theft, so the server has usually revoked the whole grant.',
    likelyCauses: [
      'Two tabs, or two requests in one tab, refreshed at the same moment with the same token.',
      'A refresh response was lost on the network after the server had rotated the token, and the old token was sent again.',
      'An old copy of the token was restored from storage.',
    ],
    whatToCheck: [
      'Make sure one refresh runs at a time across all tabs (a Web Lock), and each tab re-reads the newest token before refreshing.',
      'Look for two refresh requests close together in the Network panel or the server log.',
      'Sign in again: the grant is gone.',
    ],
    spec: REFRESH_SPEC,
  },
  expired: {
    source: 'standard',
    variant: 'refresh-expired',
    title: 'The refresh token expired',
    meaning:
      'The session outlived the refresh token’s lifetime, so it cannot be extended. The user must sign in again.',
    likelyCauses: [
      'The absolute lifetime of the refresh token has passed.',
      'The idle timeout passed: the app was not used (or did not refresh) for too long.',
    ],
    whatToCheck: [
      'Check the refresh-token lifetime and idle timeout in the server settings.',
      'Send the user to sign in, with a message that the session ended.',
    ],
    spec: REFRESH_SPEC,
  },
  revoked: {
    source: 'standard',
    variant: 'refresh-revoked',
    title: 'The refresh token was revoked',
    meaning: 'The server has withdrawn the grant. The user must sign in again.',
    likelyCauses: [
      'The user signed out, here or in another app using the same session.',
      'An administrator revoked access, or the user changed their password.',
      'The revocation endpoint was called for this token.',
    ],
    whatToCheck: ['Sign in again.', 'Check the server’s audit log for who revoked it and when.'],
    spec: [...REFRESH_SPEC, 'RFC 7009 §2.1'],
  },
  generic: {
    source: 'standard',
    variant: 'refresh-generic',
    title: 'The refresh token is no longer accepted',
    meaning:
      'The session cannot be extended, and the user must sign in again. Many servers give the same generic description for every reason.',
    likelyCauses: [
      'It was rotated, and an older token was sent (two tabs refreshing at once, or a lost refresh response).',
      'It expired (absolute lifetime or idle timeout).',
      'It was revoked: sign-out, password change, an administrator, or the revocation endpoint.',
      'It is bound to a DPoP key, and the proof came from another key (the key was lost when storage was cleared).',
      'It was issued to another client_id or by another server.',
    ],
    whatToCheck: [
      'Read the server log for the real reason (oidc-provider keeps it in error_detail).',
      'Check that one refresh runs at a time across tabs.',
      'Sign in again: retrying the same token will not help.',
    ],
    spec: REFRESH_SPEC,
    undetermined: true,
  },
} satisfies Record<string, ExplanationText>;

/** invalid_grant for an authorization code, by what is known and what the description names. */
export const INVALID_GRANT = {
  codeReused: {
    source: 'standard',
    variant: 'code-reused',
    title: 'The authorization code was already used',
    meaning:
      'Authorization codes are single-use. The server has already exchanged this one, and may now revoke the tokens it issued for it.',
    likelyCauses: [
      'The callback ran the exchange twice: a reload, the back button, or a framework running the page’s load step again.',
      'Two tabs handled the same callback URL.',
      'A retry after a timeout or a network error sent the code again, although the first request had reached the server.',
      'A browser extension or a link preview opened the callback URL first.',
    ],
    whatToCheck: [
      'Count the POSTs to the token endpoint in the Network panel: one per sign-in.',
      'Check the callback removes code and state from the address bar (history.replaceState) before exchanging.',
      'Never retry a code exchange automatically. ' + ISSUE_NEW_SIGN_IN,
    ],
    spec: ['RFC 6749 §4.1.2', 'RFC 6749 §10.5', 'RFC 6749 §5.2'],
  },
  pkceMismatch: {
    source: 'standard',
    variant: 'pkce-mismatch',
    title: 'The PKCE code_verifier does not match',
    meaning:
      'The server hashed the code_verifier from the token request, and the result differs from the code_challenge sent with the authorization request.',
    likelyCauses: [
      'The code_verifier belongs to another sign-in attempt: a second sign-in, in this tab or another, replaced the stored one.',
      'The verifier was lost and made again: storage cleared, a private window, or another origin (localhost against 127.0.0.1).',
      'The challenge is not BASE64URL(SHA-256(code_verifier)): padding = left in, standard base64 with + and /, or a hex digest.',
      'code_challenge_method was plain or missing while the challenge was made with S256.',
    ],
    whatToCheck: [
      'In the step-by-step view, compare the code_verifier in the token request with the one stored for this attempt.',
      'Check your S256 code against RFC 7636 Appendix B: dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk gives E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM.',
      ISSUE_NEW_SIGN_IN,
    ],
    spec: ['RFC 7636 §4.6', 'RFC 7636 §4.2', 'RFC 6749 §5.2'],
  },
  redirectUriDiffers: {
    source: 'standard',
    variant: 'redirect-uri-differs',
    title: 'The redirect_uri differs from the authorization request',
    meaning:
      'The token request must carry the same redirect_uri string as the authorization request, and the server compares them exactly.',
    likelyCauses: [
      'The two differ by a trailing slash, the host (localhost against 127.0.0.1), an explicit port, or encoding.',
      'The token request rebuilt redirect_uri from the current page address instead of reusing the stored one.',
      'The token request leaves out redirect_uri although the authorization request had it.',
    ],
    whatToCheck: [
      'Compare redirect_uri in the authorization URL and in the token request body character for character (the redirect-URI lab does this).',
      'Store the exact redirect_uri with the pending sign-in and send that string both times.',
    ],
    spec: ['RFC 6749 §4.1.3', 'RFC 6749 §5.2'],
  },
  clockSkew: {
    source: 'standard',
    variant: 'clock-skew',
    title: 'A time check failed (clocks disagree)',
    meaning:
      'The server refused a time-stamped value (a DPoP proof, a client assertion or the grant itself) as expired or not yet valid. The usual reason is that two clocks disagree.',
    likelyCauses: [
      'This device’s clock is off by more than the server allows (often 30 to 60 seconds).',
      'A DPoP proof or a private_key_jwt assertion was made with a wrong clock, or reused later.',
      'The server’s own machines disagree on the time.',
    ],
    whatToCheck: [
      'Turn on automatic time on this device and compare it with an accurate clock.',
      'Compare the Date header of the server’s response with the iat of your proof or assertion.',
    ],
    spec: ['RFC 6749 §5.2', 'RFC 9449 §4.3', 'RFC 7523 §3'],
  },
  clientMismatch: {
    source: 'standard',
    variant: 'client-mismatch',
    title: 'The code was issued to another client',
    meaning: 'The client_id of the token request differs from the one the code was issued to.',
    likelyCauses: [
      'The token request uses another client_id than the authorization request (two configurations, or another environment).',
      'Two apps share one callback, and the wrong one handled the code.',
    ],
    whatToCheck: ['Compare client_id in the authorization URL and in the token request.', ISSUE_NEW_SIGN_IN],
    spec: ['RFC 6749 §4.1.3', 'RFC 6749 §5.2'],
  },
  codeUnknownOrExpired: {
    source: 'standard',
    variant: 'code-unknown-or-expired',
    title: 'The server refused the code as invalid or expired',
    meaning:
      'The server uses one description for a code it does not know, one that expired, and (with many servers) one already used.',
    likelyCauses: [
      'The code was already exchanged: a reload, the back button, or a retry sent it twice.',
      'The exchange happened after the code’s lifetime (often under a minute).',
      'The code was copied incompletely, or went to another server or environment than the one that issued it.',
    ],
    whatToCheck: [
      'Count the token requests for this sign-in: there must be one.',
      'Check the time between the callback and the token request.',
      'Check the token endpoint belongs to the same issuer as the authorization endpoint.',
      ISSUE_NEW_SIGN_IN,
    ],
    spec: ['RFC 6749 §5.2', 'RFC 6749 §4.1.2'],
    undetermined: true,
  },
  codeExpired: {
    source: 'standard',
    variant: 'code-expired',
    title: 'The authorization code expired',
    meaning:
      'Codes live for minutes at most (RFC 6749 recommends ten; many servers allow less than one), and this one was presented too late.',
    likelyCauses: [
      'The exchange happened long after the redirect: a debugger breakpoint, a slow network, or a tab left on the callback.',
      'The callback URL was opened again later, from history or a bookmark.',
    ],
    whatToCheck: [
      'Exchange the code as soon as the callback page loads.',
      'Check the server’s code lifetime setting.',
      ISSUE_NEW_SIGN_IN,
    ],
    spec: ['RFC 6749 §4.1.2', 'RFC 6749 §5.2'],
  },
  codeUnknown: {
    source: 'standard',
    variant: 'code-unknown',
    title: 'The server does not know this authorization code',
    meaning: 'The code is not one this token endpoint issued, or it no longer exists.',
    likelyCauses: [
      'The code was copied incompletely or altered (a + read as a space, or a cut-off line).',
      'The token request went to another server or environment than the one that issued the code.',
      'A development server restarted and lost the codes it kept in memory.',
      'Some servers report a code used twice this way too.',
    ],
    whatToCheck: [
      'Check the token endpoint belongs to the same issuer as the authorization endpoint.',
      ISSUE_NEW_SIGN_IN,
    ],
    spec: ['RFC 6749 §5.2', 'RFC 9700 §4.4'],
  },
  codeGeneric: {
    source: 'standard',
    variant: 'code-generic',
    title: 'The server refused the authorization code',
    meaning:
      'invalid_grant means the code, the PKCE code_verifier or the redirect_uri did not check out. Many servers (oidc-provider among them) give the same description, "grant request is invalid", for every reason and keep the real one in their log.',
    likelyCauses: [
      'The code was already used: a reload, the back button, or a retry sent it twice.',
      'The code expired before it was exchanged.',
      'The code_verifier does not match the code_challenge (it belongs to another attempt).',
      'redirect_uri differs from the authorization request.',
      'The code was issued to another client or by another server.',
      'The clocks of this device and the server disagree.',
    ],
    whatToCheck: [
      'Read the server log for the real reason (oidc-provider: error_detail).',
      'Count the token requests for this sign-in: there must be one.',
      'Compare redirect_uri and client_id between the authorization and token requests.',
      ISSUE_NEW_SIGN_IN,
    ],
    spec: ['RFC 6749 §5.2', 'RFC 6749 §4.1.3', 'RFC 7636 §4.6'],
    undetermined: true,
  },
} satisfies Record<string, ExplanationText>;

/** unauthorized_client, at the authorization endpoint or elsewhere. */
export const UNAUTHORIZED_CLIENT = {
  authorization: {
    source: 'standard',
    variant: 'authorization',
    title: 'This client may not sign users in this way',
    meaning: 'The client exists, but the server does not allow it to request an authorization code.',
    likelyCauses: [
      'The client is registered for another flow only (client credentials, for example), not authorization_code.',
      'The server requires PKCE for public clients and the request had none.',
      'Some servers (Auth0, for example) use this code for a callback URL that is not registered.',
    ],
    whatToCheck: [
      'Check the client’s grant_types and response_types in the server settings.',
      'If the description mentions a callback or redirect, run the redirect-URI lab.',
    ],
    spec: ['RFC 6749 §4.1.2.1'],
  },
  token: {
    source: 'standard',
    variant: 'token',
    title: 'This client may not use this grant type',
    meaning: 'The client is authenticated, but it is not allowed the grant_type it asked for.',
    likelyCauses: [
      'The refresh_token grant is not enabled for this client (some servers also need offline_access).',
      'client_credentials is not enabled, or the client is public, which cannot use it.',
      'The client is registered for another application type.',
    ],
    whatToCheck: ['Check the client’s grant_types in the server settings.'],
    spec: ['RFC 6749 §5.2'],
  },
} satisfies Record<string, ExplanationText>;

const SCOPE_REFUSED = {
  source: 'standard',
  title: 'The server refused the requested scope',
  meaning: 'One or more scopes are unknown to the server, not allowed for this client, or malformed.',
  whatToCheck: [
    'Compare each scope with scopes_supported in the server metadata or the profile’s catalog.',
    'Remove scopes one by one to find the one refused.',
  ],
} satisfies Partial<ExplanationText>;

const SCOPE_MISSPELLED =
  'A scope name is misspelled, or scopes are separated by commas; they must be separated by single spaces.';
const SCOPE_NOT_ALLOWED = 'The client is not allowed that scope, or offline_access, in the server settings.';
const SCOPE_NOT_FENERGO = `For Fenergo: a name outside the fenx.* catalog or tenant/<tenant-id>, or a list longer than ${FENERGO_SCOPE_LIMIT} characters.`;

/** invalid_scope, by what was asked for; the sections to cite depend on the endpoint. */
export const INVALID_SCOPE = {
  tooLong: {
    source: 'standard',
    variant: 'scope-too-long',
    title: 'The scope list is too long',
    meaning: `Fenergo accepts at most ${FENERGO_SCOPE_LIMIT} characters in the scope of a token request, spaces included, and refuses longer lists.`,
    likelyCauses: [
      'Too many fine-grained scopes were requested in one token.',
      'A catch-all list was copied from the documentation instead of the scopes this client needs.',
    ],
    whatToCheck: [
      `Use the scope builder’s counter to keep the list at ${FENERGO_SCOPE_LIMIT} characters or fewer.`,
      'Split the work between client credentials with narrower scopes.',
    ],
  },
  authorization: {
    ...SCOPE_REFUSED,
    variant: 'authorization',
    likelyCauses: [SCOPE_MISSPELLED, SCOPE_NOT_ALLOWED, SCOPE_NOT_FENERGO],
  },
  token: {
    ...SCOPE_REFUSED,
    variant: 'token',
    likelyCauses: [SCOPE_MISSPELLED, SCOPE_NOT_ALLOWED, SCOPE_NOT_FENERGO],
  },
  refresh: {
    ...SCOPE_REFUSED,
    variant: 'refresh',
    likelyCauses: [
      SCOPE_MISSPELLED,
      SCOPE_NOT_ALLOWED,
      'The refresh asked for a scope the original grant did not include; a refresh may only keep or narrow it.',
      SCOPE_NOT_FENERGO,
    ],
  },
} satisfies Record<string, Omit<ExplanationText, 'spec'>>;

const SERVER_FAILED = {
  source: 'standard',
  title: 'The server failed',
  meaning: 'The server hit an internal error it could not handle. Nothing in the request is known to be wrong.',
  likelyCauses: [
    'A bug or misconfiguration at the server (a missing signing key, a broken database connection).',
    'A service behind it, such as the user directory, is down.',
    'An unusual value in the request (very long or unexpected) made it fail.',
  ],
  whatToCheck: [
    'Try once more later; check the provider’s status page.',
    'Read the server log around the time of the request.',
  ],
  spec: ['RFC 6749 §4.1.2.1', 'RFC 6749 §5.2'],
} satisfies ExplanationText;

/** server_error, anywhere or in answer to a code exchange. */
export const SERVER_ERROR = {
  anywhere: SERVER_FAILED,
  token: {
    ...SERVER_FAILED,
    whatToCheck: [...SERVER_FAILED.whatToCheck, 'Do not send the same code again. ' + ISSUE_NEW_SIGN_IN],
  },
} satisfies Record<string, ExplanationText>;
const ONLY_WITH_PROMPT_NONE = 'It only happens when the request used prompt=none (a silent sign-in).';
const HIDDEN_IFRAME = 'The silent sign-in ran in a hidden iframe, and the browser blocked the server’s cookies.';
const INTERACTIVE_FALLBACK = 'Fall back to a normal, interactive sign-in without prompt=none.';
const PROMPT_NONE_SPEC = ['OpenID Connect Core §3.1.2.6', 'OpenID Connect Core §3.1.2.1'];

/** The OpenID Connect codes of a silent sign-in (prompt=none) that needs the user. */
export const PROMPT_NONE = {
  login_required: {
    source: 'standard',
    title: 'The user must sign in',
    meaning: `The server has no signed-in session for this user, so it cannot answer without showing a login page. ${ONLY_WITH_PROMPT_NONE}`,
    likelyCauses: ['The user’s session at the server expired, or they signed out.', HIDDEN_IFRAME],
    whatToCheck: ['Check whether the user is signed in at the server in another tab.', INTERACTIVE_FALLBACK],
    spec: PROMPT_NONE_SPEC,
  },
  consent_required: {
    source: 'standard',
    title: 'The user must give consent',
    meaning: `The user is signed in at the server, but has not approved this app or these scopes. ${ONLY_WITH_PROMPT_NONE}`,
    likelyCauses: ['A new scope was added, or the user or an administrator withdrew consent.', HIDDEN_IFRAME],
    whatToCheck: ['Check the scopes requested against those already approved.', INTERACTIVE_FALLBACK],
    spec: PROMPT_NONE_SPEC,
  },
  interaction_required: {
    source: 'standard',
    title: 'The user must do something at the server',
    meaning: `The user is signed in, but the server needs them to act first, for example a second factor, new terms, or a password change. ${ONLY_WITH_PROMPT_NONE}`,
    likelyCauses: ['A policy requires multi-factor authentication or another step.', HIDDEN_IFRAME],
    whatToCheck: ['Sign in interactively once to see what the server asks for.', INTERACTIVE_FALLBACK],
    spec: PROMPT_NONE_SPEC,
  },
  account_selection_required: {
    source: 'standard',
    title: 'The user must choose an account',
    meaning: `Several accounts are signed in at the server, and it will not guess which one. ${ONLY_WITH_PROMPT_NONE}`,
    likelyCauses: ['The user is signed in with more than one account.', HIDDEN_IFRAME],
    whatToCheck: ['Send login_hint, or use prompt=select_account.', INTERACTIVE_FALLBACK],
    spec: PROMPT_NONE_SPEC,
  },
} satisfies Record<string, ExplanationText>;

/** A redirect URI refused under a vendor's code; the source and any further section are the code's. */
export const REDIRECT_MISMATCH = {
  differs: {
    variant: 'redirect-uri-differs',
    title: 'The redirect_uri differs from the authorization request',
    meaning:
      'The token request must carry exactly the redirect_uri string of the authorization request (GitHub reports it with this code).',
    likelyCauses: [
      'The token request rebuilt redirect_uri from the current address instead of reusing the stored string.',
      'A trailing slash, port, host or encoding differs between the two requests.',
    ],
    whatToCheck: ['Compare the two redirect_uri values character for character in the redirect-URI lab.'],
    spec: ['RFC 6749 §4.1.3'],
  },
  unregistered: {
    variant: 'redirect-uri-unregistered',
    title: 'The redirect URI is not registered for this client',
    meaning:
      'The redirect_uri does not exactly match one registered for this client. The server must not redirect to it, so it usually shows its own error page, and your app never hears back.',
    likelyCauses: [
      'A trailing slash, http against https, or an explicit :443.',
      'localhost against 127.0.0.1, or another port than the one registered.',
      'Different capitals in the path, or different percent-encoding.',
      'The URI is registered for another client_id or environment.',
      'The app builds redirect_uri from the current address, which changes between machines.',
    ],
    whatToCheck: [
      'Paste the redirect_uri your app sent and the registered ones into the redirect-URI lab: it shows the difference character by character.',
      'Register the exact string, or change the app to send the registered one.',
      'Some providers take a few minutes to apply a changed registration.',
    ],
    spec: ['RFC 6749 §3.1.2.3', 'RFC 6749 §3.1.2.4', 'RFC 9700 §4.1.3'],
  },
} satisfies Record<string, Omit<ExplanationText, 'source'>>;

const CORS_CAUSE_ORIGIN =
  'The server does not allow this origin. It must answer with Access-Control-Allow-Origin set to the app’s exact origin: scheme, host and port (localhost:5173 and 127.0.0.1:5173 are different origins).';
const CORS_CAUSE_ERRORS =
  'Error responses lack the CORS headers that successful ones have, which hides the real OAuth error.';
const CORS_CAUSE_NOT_CORS =
  'Not CORS at all: the server is unreachable, its certificate is not trusted, an https page calls an http endpoint, or the page’s Content-Security-Policy connect-src blocks it. They all fail with the same TypeError.';
const CORS_CHECKS = [
  'Open the DevTools console: the browser names the missing header.',
  'In the Network panel, look at the OPTIONS request and at the response headers.',
  'Add this app’s exact origin to the server’s allowed origins for this client.',
];
const CORS = {
  source: 'client',
  title: 'The browser blocked the response (CORS)',
  spec: ['Fetch Standard §3.2 (CORS protocol)', 'OAuth 2.0 for Browser-Based Applications §6.1, §6.3'],
} satisfies Partial<ExplanationText>;

/** A response the browser withheld (CORS), from an API or from the token endpoint. */
export const CORS_BLOCKED = {
  api: {
    ...CORS,
    variant: 'api',
    meaning:
      'fetch failed with a TypeError before any response reached the app. For a call to an API on another origin, that almost always means the server did not send Access-Control-Allow-Origin for this app’s origin. The browser hides the reason from JavaScript; the DevTools console shows it.',
    likelyCauses: [
      CORS_CAUSE_ORIGIN,
      'The preflight (OPTIONS) request failed: a request with an Authorization or DPoP header needs it listed in Access-Control-Allow-Headers.',
      CORS_CAUSE_ERRORS,
      CORS_CAUSE_NOT_CORS,
    ],
    whatToCheck: CORS_CHECKS,
  },
  tokenEndpoint: {
    ...CORS,
    variant: 'token-endpoint',
    meaning:
      'fetch failed with a TypeError before any response reached the app. For a call to the token endpoint on another origin, that almost always means the server did not send Access-Control-Allow-Origin for this app’s origin. The browser hides the reason from JavaScript; the DevTools console shows it.',
    likelyCauses: [
      CORS_CAUSE_ORIGIN,
      'The preflight (OPTIONS) request failed: a request with a DPoP header needs it listed in Access-Control-Allow-Headers.',
      'The client is registered as confidential or as a server-side web app, and the server allows browser calls to its token endpoint only for public (single-page) clients.',
      CORS_CAUSE_ERRORS,
      CORS_CAUSE_NOT_CORS,
    ],
    whatToCheck: [
      ...CORS_CHECKS,
      'A confidential client (one with a client secret) must not call the token endpoint from the browser at all: call it from a server route, where CORS does not apply and the secret stays on the server.',
    ],
  },
} satisfies Record<string, ExplanationText>;

const NETWORK_ERROR_BASE = {
  source: 'client',
  title: 'The server could not be reached',
  meaning: 'The request failed before any answer arrived: no HTTP status, no error code.',
  likelyCauses: [
    'This device is offline, or DNS cannot resolve the server’s name.',
    'The server is down, or the address or port is wrong (is the local sandbox running?).',
    'The server’s TLS certificate is not trusted.',
    'An https page called an http endpoint (mixed content), or the Content-Security-Policy connect-src blocked it.',
    'CORS blocked the response: in a browser it fails in exactly the same way.',
  ],
  whatToCheck: ['Open the endpoint’s address in a new tab.', 'Read the DevTools console for the browser’s reason.'],
  spec: ['Fetch Standard §4.1 (network error)'],
} satisfies ExplanationText;

/** A request that got no answer at all, by the endpoint it went to. */
export const NETWORK_ERROR = {
  token: {
    ...NETWORK_ERROR_BASE,
    variant: 'token',
    whatToCheck: [
      ...NETWORK_ERROR_BASE.whatToCheck,
      'The code may have reached the server even so: do not send it again. ' + ISSUE_NEW_SIGN_IN,
    ],
  },
  refresh: {
    ...NETWORK_ERROR_BASE,
    variant: 'refresh',
    whatToCheck: [
      ...NETWORK_ERROR_BASE.whatToCheck,
      'Keep the session and retry the refresh when the network is back, with backoff.',
    ],
  },
  anywhere: {
    ...NETWORK_ERROR_BASE,
    whatToCheck: [...NETWORK_ERROR_BASE.whatToCheck, 'Retry when the connection is back.'],
  },
} satisfies Record<string, ExplanationText>;

const TIMEOUT_BASE = {
  source: 'client',
  title: 'The server took too long to answer',
  meaning: 'No answer arrived within the time limit, so the request was abandoned. It may still have been processed.',
  likelyCauses: [
    'The server is slow or overloaded.',
    'A slow or unstable network (a mobile connection, a VPN).',
    'Something between the app and the server holds requests (a proxy or firewall).',
  ],
  whatToCheck: ['Check the request’s timing in the Network panel.'],
  spec: ['RFC 6749 §10.5'],
} satisfies ExplanationText;

/** A request abandoned after the time limit, by the endpoint it went to. */
export const TIMEOUT = {
  token: {
    ...TIMEOUT_BASE,
    variant: 'token',
    whatToCheck: [
      ...TIMEOUT_BASE.whatToCheck,
      'The server may have used the code even though no answer arrived: do not send it again. ' + ISSUE_NEW_SIGN_IN,
    ],
  },
  refresh: {
    ...TIMEOUT_BASE,
    variant: 'refresh',
    whatToCheck: [
      ...TIMEOUT_BASE.whatToCheck,
      'The server may have rotated the refresh token before the answer was lost. Retrying with the old one can trip reuse detection: refresh one at a time, and sign in again if the retry gets invalid_grant.',
    ],
  },
  anywhere: { ...TIMEOUT_BASE, whatToCheck: [...TIMEOUT_BASE.whatToCheck, 'Retry once, after a pause.'] },
} satisfies Record<string, ExplanationText>;

/** Fieldpass's own state_mismatch: a callback that answers no attempt started here. */
export const STATE_MISMATCH = {
  source: 'client',
  title: 'This callback does not answer a sign-in started here',
  meaning:
    'Fieldpass’s own code for a callback whose state matches no attempt this browser started: the inspector reads it no further and sends nothing to the server, so no server was asked about it.',
  likelyCauses: [
    'The callback has no state, or more than one.',
    'The sign-in was started in another browser or browser profile, or in a private window that has since closed.',
    'The callback was already used: reloaded, opened from history, or opened a second time.',
    'This site’s storage was cleared between starting the sign-in and the callback.',
    'The callback was forged or replayed by someone else: the state check is the defence against cross-site request forgery.',
  ],
  whatToCheck: [
    'Start a new sign-in from the inspector, in this browser, and finish it in the same tab.',
    'Open the app and receive the callback on the same origin (same host and port).',
  ],
  spec: ['RFC 6749 §10.12', 'RFC 9700 §4.7'],
} satisfies ExplanationText;

const ISSUER_MISMATCH = {
  source: 'client',
  variant: 'iss-mismatch',
  likelyCauses: [
    'The issuer in the profile is spelled differently from the server’s (a trailing slash, http against https, another host name or port).',
    'The sign-in went to another server, tenant or realm than the profile names.',
    'Someone sent the browser an answer from another server: a mix-up attack.',
  ],
  whatToCheck: [
    'Compare the issuer in the profile, character by character, with the issuer in the server’s metadata.',
    'Start a new sign-in from the inspector and check which server’s page opens.',
  ],
} satisfies Partial<ExplanationText>;

const UNREADABLE = {
  source: 'client',
  variant: 'unreadable',
  likelyCauses: [
    'A proxy, gateway or login page answered instead of the OAuth server (an HTML page, a redirect).',
    'The address is not the endpoint: a typo in the path, or a path the server does not serve.',
    'The server failed and answered with an error page.',
  ],
  whatToCheck: [
    'Read the status, Content-Type and body of the answer in the exchange above.',
    'Open the endpoint’s address in a new tab.',
  ],
} satisfies Partial<ExplanationText>;

const NOT_JSON = 'The answer is not the JSON this step expects.';
const UNEXPECTED_STATUS =
  'The answer came with an HTTP status this step does not expect, and without an OAuth error Fieldpass could read.';
const ANSWER_SPEC = ['RFC 6749 §5.1', 'RFC 6749 §5.2'];
const METADATA_SPEC = ['RFC 8414 §3.2'];

/** Fieldpass's own invalid_response, by what oauth4webapi found wrong with the answer. */
export const INVALID_RESPONSE = {
  issMismatch: {
    ...ISSUER_MISMATCH,
    title: 'The answer names another server (mix-up check)',
    meaning:
      'The callback’s iss is not the issuer in the profile (or is missing though the server promises it), so Fieldpass did not trust it and exchanged no code. This check stops a mix-up: an answer from another server passed off as this one’s.',
    spec: ['RFC 9207 §2.4', 'RFC 9700 §4.4'],
  },
  idTokenIssMismatch: {
    ...ISSUER_MISMATCH,
    title: 'The ID token names another issuer',
    meaning: 'The ID token’s iss claim is not the issuer in the profile, so Fieldpass refused the tokens.',
    spec: ['OpenID Connect Core §3.1.3.7'],
  },
  metadataIssuerMismatch: {
    source: 'client',
    variant: 'metadata-issuer-mismatch',
    title: 'The metadata names another issuer',
    meaning:
      'The issuer inside the server’s metadata document is not the issuer in the profile, so Fieldpass did not use the metadata.',
    likelyCauses: [
      'The issuer in the profile differs in spelling: a trailing slash, http against https, upper-case letters, another port.',
      'A proxy or gateway serves another server’s metadata at this address.',
    ],
    whatToCheck: ['Open the metadata document and copy its issuer value into the profile exactly.'],
    spec: ['RFC 8414 §3.3', 'OpenID Connect Discovery §4.3'],
  },
  endpointUnusable: {
    source: 'client',
    variant: 'endpoint-unusable',
    title: 'An endpoint is missing or not https',
    meaning:
      'The endpoint this step needs is missing from the metadata, or its address is not https, so Fieldpass sent nothing to it.',
    likelyCauses: [
      'The server’s metadata lists an http address: a server behind a proxy that does not know it is reached over https.',
      'The metadata does not list this endpoint at all.',
    ],
    whatToCheck: [
      'Read the endpoint’s address in the metadata.',
      'Enter the endpoint by hand in the profile, with https.',
    ],
    spec: ['RFC 8414 §2', 'RFC 6749 §3.1', 'RFC 6749 §3.2'],
  },
  unreadableAnswer: { ...UNREADABLE, title: 'The answer could not be read', meaning: NOT_JSON, spec: ANSWER_SPEC },
  unexpectedStatus: {
    ...UNREADABLE,
    title: 'The answer could not be read',
    meaning: UNEXPECTED_STATUS,
    spec: ANSWER_SPEC,
  },
  unreadableMetadata: {
    ...UNREADABLE,
    title: 'The metadata could not be read',
    meaning: NOT_JSON,
    spec: METADATA_SPEC,
  },
  metadataUnexpectedStatus: {
    ...UNREADABLE,
    title: 'The metadata could not be read',
    meaning: UNEXPECTED_STATUS,
    spec: METADATA_SPEC,
  },
  refused: {
    source: 'client',
    title: 'Fieldpass refused the answer',
    meaning: 'Fieldpass’s own code for an answer that arrived but breaks a rule the protocol sets, so it was not used.',
    likelyCauses: [
      'A value in the answer is missing, repeated or of the wrong type.',
      'A signature or a claim in a token does not check out.',
    ],
    whatToCheck: ['Read what the inspector knows, above, and the answer in the exchange.'],
    spec: ['RFC 6749 §5.1'],
    undetermined: true,
  },
} satisfies Record<string, ExplanationText>;

/** redirect_uri refused without saying which check failed; the source is the code's. */
export const REDIRECT_UNCLEAR = {
  variant: 'redirect-uri-unclear',
  title: 'The server refused the redirect_uri',
  meaning:
    'The description names redirect_uri but does not say which check failed: at the sign-in, the URI is not registered for this client; at the token endpoint, it differs from the one in the authorization request.',
  likelyCauses: [
    'The redirect_uri is not registered exactly as sent: a trailing slash, http against https, localhost against 127.0.0.1, a port, capitals or encoding.',
    'The token request sent another redirect_uri string than the authorization request.',
    'The URI is registered for another client_id or environment.',
  ],
  whatToCheck: [
    'If the server showed its own error page instead of sending you back, it is the registration: compare the URI with the registered ones in the redirect-URI check.',
    'If the token request failed, compare redirect_uri in the authorization URL and in the token request body character for character.',
  ],
  spec: ['RFC 6749 §3.1.2.3', 'RFC 6749 §4.1.3', 'RFC 9700 §4.1.3'],
  undetermined: true,
} satisfies Omit<ExplanationText, 'source'>;

const CLIENT_NOT_REGISTERED = {
  variant: 'client-unknown',
  title: 'The server does not know this client_id',
  likelyCauses: [
    'A typo in client_id, or a client_id from another environment, tenant or realm.',
    'The request went to another issuer than the one the client is registered at (another tenant, realm or region).',
    'The client was deleted or disabled at the server.',
  ],
  whatToCheck: [
    'Copy the client_id again from the server’s client settings for this exact issuer.',
    'Check the issuer in the profile is the tenant or realm where the client is registered.',
  ],
} satisfies Partial<ExplanationText>;

/** A client_id the server does not know, at the sign-in or elsewhere; the source is the code's. */
export const UNKNOWN_CLIENT = {
  signIn: {
    ...CLIENT_NOT_REGISTERED,
    meaning:
      'No client with this client_id is registered (or enabled) at this server, so it cannot check the redirect_uri and shows its own error page instead of sending the user back.',
    spec: ['RFC 6749 §2.2', 'RFC 6749 §4.1.2.1'],
  },
  elsewhere: {
    ...CLIENT_NOT_REGISTERED,
    meaning:
      'No client with this client_id is registered (or enabled) at this server. It is about the app’s registration, not the user or the code.',
    spec: ['RFC 6749 §2.2', 'RFC 6749 §5.2'],
  },
} satisfies Record<string, Omit<ExplanationText, 'source'>>;

const CANNOT_REVOKE_TYPE = {
  source: 'standard',
  title: 'The server cannot revoke this type of token',
  meaning:
    'The revocation endpoint does not support revoking this kind of token. (An unknown or already invalid token is not an error: the server answers 200.)',
  likelyCauses: [
    'The server revokes refresh tokens only; self-contained (JWT) access tokens often cannot be revoked and simply expire.',
    'token_type_hint names the wrong type.',
  ],
  whatToCheck: ['Revoke the refresh token instead; that ends the grant.', 'Correct token_type_hint, or leave it out.'],
  spec: ['RFC 7009 §2.2.1', 'RFC 7009 §2.1'],
} satisfies ExplanationText;

/** unsupported_token_type, by the endpoint that answered. */
export const UNSUPPORTED_TOKEN_TYPE = {
  introspection: {
    source: 'standard',
    variant: 'introspection',
    title: 'The server will not introspect this type of token',
    meaning:
      'The introspection endpoint does not answer for this kind of token. Servers that issue self-contained JWT access tokens often refuse to introspect them: the token itself carries what introspection would tell.',
    likelyCauses: [
      'The access token is a JWT (RFC 9068), which this server expects APIs to validate themselves.',
      'The server introspects only its opaque tokens, or only refresh tokens.',
    ],
    whatToCheck: [
      'Decode the token here and validate it as an API would: the signature against the server’s jwks_uri, then iss, aud and exp.',
      'If introspection is what you need, ask the server for opaque access tokens for this API.',
    ],
    spec: ['RFC 7662 §2.1', 'RFC 9068 §4', 'RFC 6749 §5.2'],
  },
  revocation: { ...CANNOT_REVOKE_TYPE, variant: 'revocation' },
  anywhere: CANNOT_REVOKE_TYPE,
} satisfies Record<string, ExplanationText>;
/** The codes with one reading whatever the context: the standard ones, then those of Fieldpass’s own server route. */
export const FIXED_TEXTS = {
  access_denied: {
    source: 'standard',
    title: 'Access was declined',
    meaning: 'The user, or a policy at the server, refused to grant access. No code was issued.',
    likelyCauses: [
      'The user pressed Cancel or Deny on the consent screen.',
      'A server policy refused: the user is not assigned to this app, or an administrator must approve it first.',
      'The user may not grant one of the requested scopes.',
    ],
    whatToCheck: [
      'Start a new sign-in and approve it.',
      'Ask the server’s administrator whether this user may use the app.',
      'Request fewer scopes.',
    ],
    spec: ['RFC 6749 §4.1.2.1'],
  },
  unsupported_response_type: {
    source: 'standard',
    title: 'The server does not support this response type',
    meaning: 'The server cannot, or will not for this client, answer with the requested response_type.',
    likelyCauses: [
      'response_type is not exactly code (a typo, capital letters, or a leftover token from the implicit flow).',
      'The client is not registered for response_type=code.',
    ],
    whatToCheck: [
      'Check response_types_supported in the server metadata.',
      'Check the client’s response_types in the server settings.',
    ],
    spec: ['RFC 6749 §4.1.2.1', 'RFC 8414 §2'],
  },
  temporarily_unavailable: {
    source: 'standard',
    title: 'The server is temporarily unavailable',
    meaning: 'The server is overloaded or under maintenance and asks you to come back later.',
    likelyCauses: ['Maintenance or an outage at the provider.', 'Too much traffic at the server.'],
    whatToCheck: [
      'Wait, then try again, with growing pauses; honour Retry-After if the server sends it.',
      'Check the provider’s status page.',
    ],
    spec: ['RFC 6749 §4.1.2.1'],
  },
  unsupported_grant_type: {
    source: 'standard',
    title: 'The server does not support this grant type',
    meaning: 'The token endpoint does not know, or does not offer, the grant_type in the request.',
    likelyCauses: [
      'A typo in grant_type (authorisation_code, for example).',
      'The grant is switched off at the server (refresh_token or client_credentials).',
      'The body was sent as JSON or in the query string, so the server saw no grant_type.',
    ],
    whatToCheck: [
      'Check grant_types_supported in the server metadata.',
      'Check the body is form-encoded and carries grant_type exactly once.',
    ],
    spec: ['RFC 6749 §5.2', 'RFC 8414 §2'],
  },
  insufficient_scope: {
    source: 'standard',
    title: 'The token lacks a scope this API call needs',
    meaning: 'The token is valid, but was not granted the scope this call requires (HTTP 403).',
    likelyCauses: [
      'The scope was never requested.',
      'The server granted fewer scopes than requested: the user or a policy removed some.',
    ],
    whatToCheck: [
      'Read the scope attribute of the WWW-Authenticate header: it names the scope needed.',
      'Compare granted and requested scopes in the token response.',
      'Start a new authorization request that adds the missing scope.',
    ],
    spec: ['RFC 6750 §3.1', 'RFC 6749 §3.3'],
  },
  invalid_dpop_proof: {
    source: 'standard',
    title: 'The DPoP proof was refused',
    meaning:
      'The DPoP header is missing, malformed, or does not fit this request, so the server will not accept the proof of possession.',
    likelyCauses: [
      'htu differs from the request URL (scheme, host, port, path; without query or fragment), often behind a proxy or with a trailing slash.',
      'htm is not the request method.',
      'iat is outside the server’s window: this device’s clock is off.',
      'The same proof (jti) was sent twice, for example on a retry.',
      'The key differs from the one the token is bound to (the key was lost and made again), or ath is missing on an API call.',
      'The signing algorithm is not in dpop_signing_alg_values_supported.',
    ],
    whatToCheck: [
      'Decode the DPoP header in the inspector and compare htu and htm with the request.',
      'Check this device’s clock.',
      'Make a fresh proof for every request, retries included.',
    ],
    spec: ['RFC 9449 §4.3', 'RFC 9449 §5', 'RFC 9449 §7.1'],
  },
  use_dpop_nonce: {
    source: 'standard',
    title: 'The server wants a DPoP nonce',
    meaning:
      'Not a failure on its own: the server requires a nonce it chose in the DPoP proof. Take it from the DPoP-Nonce response header and retry once with a new proof.',
    likelyCauses: [
      'The first request to a server that requires nonces (normal).',
      'The nonce the app used has expired or been replaced.',
      'It repeats every time: the browser cannot read the DPoP-Nonce header because the server does not list it in Access-Control-Expose-Headers.',
    ],
    whatToCheck: [
      'Check the retry carries the nonce from the latest DPoP-Nonce header.',
      'Check the response has Access-Control-Expose-Headers: DPoP-Nonce.',
      'Retry once only, to avoid a loop.',
    ],
    spec: ['RFC 9449 §8', 'RFC 9449 §9'],
  },
  invalid_target: {
    source: 'standard',
    title: 'The server refused the requested resource',
    meaning: 'The resource parameter names an API the server does not know, or will not issue a token for.',
    likelyCauses: [
      'The resource value is not an absolute URI, or has a fragment.',
      'It does not exactly match the API’s identifier registered at the server (a trailing slash counts).',
      'The client is not allowed tokens for that API, or for that combination of resources and scopes.',
    ],
    whatToCheck: [
      'Compare the resource value with the API identifier in the server settings.',
      'Request one resource at a time to find the one refused.',
    ],
    spec: ['RFC 8707 §2'],
  },
  csp_blocked: {
    source: 'client',
    title: 'This page may not connect there (Content-Security-Policy)',
    meaning:
      'The page’s own Content-Security-Policy connect-src does not list the server’s origin, so the browser refuses the request before anything is sent. No server was asked, so there is no server error.',
    likelyCauses: [
      'The server is not one Fieldpass is configured for, and its origin is not in INSPECT_CONNECT_ORIGINS.',
      'The origin differs in scheme, host or port from the one listed (https vs http, another port, a subdomain).',
      'The server redirected the request to an origin that is not listed.',
    ],
    whatToCheck: [
      addToConnectOrigins('the exact origin (scheme, host and port)'),
      'The DevTools console names the blocked address and the directive.',
    ],
    spec: ['Content Security Policy Level 3 §6.1.3 (connect-src)'],
  },
  upstream_timeout: {
    source: 'route',
    title: 'The provider took too long to answer',
    meaning: 'Fieldpass’s server gave up waiting for the provider.',
    likelyCauses: ['The provider is slow or overloaded.', 'A network path between the server and the provider.'],
    whatToCheck: ['Try again later.', 'Read the server log around the time of the request.'],
    spec: ['RFC 6749 §4.4', 'RFC 6749 §5.2'],
  },
  upstream_forbidden: {
    source: 'route',
    title: 'The service credential lacks permission',
    meaning: 'The provider accepted the service token but refused this resource to it (HTTP 403).',
    likelyCauses: ['The client was not granted the scope or role this call needs at the provider.'],
    whatToCheck: ['Compare the configured scope with what the provider requires for this call.'],
    spec: ['RFC 6749 §4.4', 'RFC 6749 §5.2'],
  },
  upstream_rejected: {
    source: 'route',
    title: 'The provider refused the request',
    meaning: 'The provider answered the call itself with a client error.',
    likelyCauses: ['A wrong path or request body for this provider.'],
    whatToCheck: ['Check the path and body against the provider’s documentation.'],
    spec: ['RFC 6749 §4.4', 'RFC 6749 §5.2'],
  },
  unknown_provider: {
    source: 'route',
    title: 'The server has no provider of that name',
    meaning: 'The name is not in the server’s M2M_PROVIDERS list.',
    likelyCauses: ['A typo in the provider name, or the server was started without it.'],
    whatToCheck: ['Compare the name with M2M_PROVIDERS in the server’s environment; the server reads it at start-up.'],
    spec: ['RFC 6749 §4.4', 'RFC 6749 §5.2'],
  },
  service_unavailable: {
    source: 'route',
    title: 'The server cannot check who is asking right now',
    meaning:
      'Fieldpass’s server route could not verify your sign-in with the authorization server (its keys or introspection were unreachable), so it made no call. Your sign-in itself is not known to be wrong.',
    likelyCauses: ['The authorization server, or the route’s introspection credentials, failed on the server’s side.'],
    whatToCheck: ['Try again in a few seconds.', 'The server log and /readyz name the failing check.'],
    spec: ['RFC 6749 §4.4', 'RFC 6749 §5.2'],
  },
  not_allowed: {
    source: 'route',
    title: 'The operation is not on the provider’s allow-list',
    meaning: 'The route only makes the calls its configuration allows for each provider.',
    likelyCauses: ['The method and path are not in the provider’s ALLOW list.'],
    whatToCheck: ['Check the provider’s M2M_<NAME>_ALLOW variable.'],
    spec: ['RFC 6749 §4.4', 'RFC 6749 §5.2'],
  },
} satisfies Record<string, ExplanationText>;

const TOKEN_REFUSED = {
  source: 'standard',
  meaning:
    'The API does not accept the access token (HTTP 401): it is expired, revoked, malformed, or meant for another API.',
  likelyCauses: [
    'It expired: refresh it, and retry the call once.',
    'It was revoked (sign-out, or an administrator).',
    'It was issued for another API: the audience or resource does not match.',
    'It is bound to a DPoP key but was sent as Bearer, or without a DPoP proof.',
    'It comes from another environment or issuer than the API trusts.',
  ],
  whatToCheck: [
    'Decode the token in the inspector: check exp, aud and iss.',
    'Read the WWW-Authenticate header of the 401.',
    'Check the Authorization scheme matches token_type (DPoP or Bearer).',
  ],
  spec: ['RFC 6750 §3.1', 'RFC 9449 §7.1'],
} satisfies Partial<ExplanationText>;

/** invalid_token from an API, when the description says the token expired and otherwise. */
export const INVALID_TOKEN = {
  expired: { ...TOKEN_REFUSED, variant: 'expired', title: 'The access token expired' },
  refused: { ...TOKEN_REFUSED, title: 'The API refused the access token' },
} satisfies Record<string, ExplanationText>;

const TOO_MANY_REQUESTS = {
  title: 'Too many requests (rate limited)',
  whatToCheck: [
    'Wait as long as Retry-After says, then try once.',
    'Look for repeated identical requests in the Network panel.',
    'Retry with growing pauses and some randomness (backoff with jitter).',
  ],
  spec: ['RFC 6585 §4', 'RFC 9110 §10.2.3'],
} satisfies Partial<ExplanationText>;
const RATE_CAUSE_LOOP = 'A loop: a refresh or retry without a pause, or a page effect that runs again and again.';
const RATE_CAUSE_TABS = 'Many tabs or devices calling at once with the same client or user.';
const RATE_CAUSE_SHARED = 'Other apps using the same client_id used up the shared quota.';
const HTTP_429 =
  'The server answered HTTP 429: too many requests in a period. Its Retry-After header, in seconds or as a date, says how long to wait; some APIs use X-RateLimit-Reset.';

/** HTTP 429 from Fieldpass’s server route, from a token endpoint, or from anything else. */
export const RATE_LIMITED = {
  route: {
    ...TOO_MANY_REQUESTS,
    source: 'route',
    meaning:
      'Fieldpass’s server route is holding requests back: the provider limited its requests, or you reached your own limit on the route. Its Retry-After header says how many seconds to wait.',
    likelyCauses: [RATE_CAUSE_LOOP, RATE_CAUSE_TABS, RATE_CAUSE_SHARED],
  },
  token: {
    ...TOO_MANY_REQUESTS,
    source: 'client',
    meaning: HTTP_429,
    likelyCauses: [
      RATE_CAUSE_LOOP,
      RATE_CAUSE_TABS,
      'A new token fetched for every call instead of reusing it until shortly before it expires.',
      RATE_CAUSE_SHARED,
    ],
  },
  anywhere: {
    ...TOO_MANY_REQUESTS,
    source: 'client',
    meaning: HTTP_429,
    likelyCauses: [RATE_CAUSE_LOOP, RATE_CAUSE_TABS, RATE_CAUSE_SHARED],
  },
} satisfies Record<string, ExplanationText>;

const UNRECOGNIZED_CODE = {
  source: 'unrecognized',
  title: 'Unrecognized error code',
  meaning:
    'This code is not one defined by the OAuth or OpenID Connect specifications known here; it is probably specific to this server. The server’s error_description and error_uri, and its documentation, are the best guide.',
  likelyCauses: [
    'A code specific to this provider.',
    'A proxy or gateway in front of the server answered instead of the server itself.',
  ],
  whatToCheck: [
    'Read error_description, and open error_uri if it is an https link.',
    'Search the provider’s documentation for the exact code.',
    'Read the server log around the time of the request.',
  ],
  spec: ['RFC 6749 §4.1.2.1', 'RFC 6749 §5.2'],
} satisfies ExplanationText;

/** A code not known here, or none at all; the HTTP status may add a likely cause. */
export const UNRECOGNIZED = {
  code: UNRECOGNIZED_CODE,
  none: { ...UNRECOGNIZED_CODE, title: 'No error code' },
} satisfies Record<string, ExplanationText>;

// The error explainer: what an OAuth error code means, why it probably happened and what to check,
// in plain words for a developer looking at a failed request. Framework-free: no svelte, $app or
// $env imports. The explanations never repeat the code or description they were given, so the UI
// can show them as they are and must render the server's own words as text.
import { FENERGO_SCOPE_LIMIT } from '../catalogs/fenergo-scopes.js';
import { addToConnectOrigins } from './recording.js';

/**
 * Which endpoint answered; it decides how a code is read (`invalid_grant` at refresh is not at code
 * exchange, `unsupported_token_type` at introspection is not at revocation). `par` is the pushed
 * authorization request endpoint, whose errors read as the authorization endpoint's (RFC 9126 §2.3);
 * `discovery` is the server's metadata document; `resource` is an API or the UserInfo endpoint;
 * `route` is Fieldpass's own server route (the client-credentials tester).
 */
export type ErrorWhere =
  'authorization' | 'par' | 'token' | 'refresh' | 'introspection' | 'revocation' | 'resource' | 'route' | 'discovery';

/** What oauth4webapi reported when it refused an answer: its error code and, for a comparison, the attribute compared. */
export interface ProcessingFailure {
  /** oauth4webapi's code, such as `OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED`. */
  code?: string;
  /** The attribute compared, such as `iss` or `issuer`. */
  attribute?: string;
}

/** What else is known about the failure. */
export interface ErrorContext {
  where?: ErrorWhere;
  /** The server's `error_description`; only used to pick the likeliest cause, never repeated. */
  description?: string;
  /**
   * The inspector itself sent a code it had already exchanged: a fact it knows, not a guess from
   * the description (servers such as oidc-provider do not say why they refuse a code).
   */
  codeReplayed?: boolean;
  /** The server-side provider (M2M_PROVIDERS) a route error is about, to name its variables. */
  provider?: string;
  /** The HTTP status of the response. */
  status?: number;
  /** The `scope` value that was requested, to check Fenergo's length limit. */
  scope?: string;
  /** For Fieldpass's `invalid_response`: what oauth4webapi found wrong with the answer. */
  processing?: ProcessingFailure;
}

/**
 * Who defines the code: an RFC or OpenID spec (`standard`), a server vendor (`non-standard`),
 * Fieldpass itself for failures that carry no OAuth code (`client`), Fieldpass's own server route
 * (`route`), or nobody known (`unrecognized`).
 */
export type ErrorSource = 'standard' | 'non-standard' | 'client' | 'route' | 'unrecognized';

/** An error code explained for a developer under pressure. */
export interface Explanation {
  /** The code explained: the canonical spelling when recognised, else the input as given. */
  code: string;
  title: string;
  meaning: string;
  likelyCauses: string[];
  whatToCheck: string[];
  /** The sections that define the code or the rule behind it. */
  spec: string[];
  source: ErrorSource;
  /** Which reading of the code was chosen from the context, such as `code-reused`; stable ids. */
  variant?: string;
  /**
   * The code covers several causes and nothing known (the description included) says which: the
   * UI says so instead of picking one.
   */
  undetermined?: boolean;
}

type Body = Omit<Explanation, 'code'>;
type Explainer = (context: ErrorContext, hint: string) => Body;

const std = (body: Omit<Body, 'source'>): Body => ({ ...body, source: 'standard' });

const ISSUE_NEW_SIGN_IN = 'Start a new sign-in: a refused authorization code cannot be used again.';

function invalidRequest({ where }: ErrorContext, hint: string): Body {
  if (where === 'resource') {
    return std({
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
    });
  }
  if (where === 'introspection') {
    return std({
      variant: 'introspection',
      title: 'The introspection request is malformed',
      meaning: 'The introspection endpoint could not read the request.',
      likelyCauses: [
        'The token parameter is missing or empty.',
        'The body was sent as JSON instead of application/x-www-form-urlencoded.',
        'The client did not authenticate the way this endpoint requires.',
      ],
      whatToCheck: [
        'Check the request body in the Network panel: token=…, form-encoded, and the client’s credentials.',
      ],
      spec: ['RFC 7662 §2.1', 'RFC 7662 §2.3'],
      undetermined: true,
    });
  }
  if (where === 'revocation') {
    return std({
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
    });
  }
  if (where === 'token' || where === 'refresh') {
    if (/code[_ ]verifier/.test(hint)) {
      return std({
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
      });
    }
    return std({
      variant: where,
      title: 'The token request is malformed',
      meaning:
        'The token endpoint could not read the request: a required parameter is missing or repeated, or a value is not one it accepts.',
      likelyCauses: [
        where === 'refresh'
          ? 'grant_type=refresh_token or the refresh_token itself is missing.'
          : 'grant_type, code, redirect_uri or code_verifier is missing.',
        'The body was sent as JSON or in the query string; it must be a form-encoded (application/x-www-form-urlencoded) POST body.',
        'A parameter appears twice.',
        'client_id is missing for a public client.',
      ],
      whatToCheck: [
        'Copy the token request as curl from the step-by-step view and read each parameter.',
        'Read error_description: servers usually name the parameter.',
      ],
      spec: ['RFC 6749 §5.2', where === 'refresh' ? 'RFC 6749 §6' : 'RFC 6749 §4.1.3'],
      undetermined: true,
    });
  }
  if (/code[_ ]challenge|pkce/.test(hint)) {
    return std({
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
    });
  }
  return std({
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
  });
}

function invalidClient({ where }: ErrorContext): Body {
  if (where === 'introspection') {
    return std({
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
    });
  }
  if (where === 'authorization') {
    return std({
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
    });
  }
  return std({
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
  });
}

const REUSED =
  /already (?:been )?(?:used|consumed|redeemed|exchanged)|(?:has|was) been used|reuse|replay|more than once|previously used|aadsts54005/;
const PKCE = /pkce|code[_ ]verifier|code[_ ]challenge/;
const REDIRECT = /redirect[_ ]?ur[il]/;
const CLOCK = /clock|skew|not yet valid|\bnbf\b|\biat\b|in the future|used before/;
const CLIENT_MISMATCH = /client[_ ]?(?:id )?mismatch|different client|another client|not issued to/;
const EXPIRED = /expir/;
const MISSING = /missing|required|must be (?:provided|sent|present)|not provided|absent/;
const INVALID_OR_EXPIRED = /invalid,? or (?:has )?expired|invalid or expired|expired or (?:invalid|revoked|used)/;
const NOT_FOUND = /not found|invalid (?:authorization )?code|unknown code|malformed|code not valid|does not exist/;

function invalidGrantForRefresh(hint: string): Body {
  const spec = ['RFC 6749 §6', 'RFC 6749 §5.2', 'RFC 9700 §4.14'];
  if (REUSED.test(hint) || /rotat/.test(hint)) {
    return std({
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
      spec,
    });
  }
  if (EXPIRED.test(hint) || /inactiv|idle/.test(hint)) {
    return std({
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
      spec,
    });
  }
  if (/revok/.test(hint)) {
    return std({
      variant: 'refresh-revoked',
      title: 'The refresh token was revoked',
      meaning: 'The server has withdrawn the grant. The user must sign in again.',
      likelyCauses: [
        'The user signed out, here or in another app using the same session.',
        'An administrator revoked access, or the user changed their password.',
        'The revocation endpoint was called for this token.',
      ],
      whatToCheck: ['Sign in again.', 'Check the server’s audit log for who revoked it and when.'],
      spec: [...spec, 'RFC 7009 §2.1'],
    });
  }
  return std({
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
    spec,
    undetermined: true,
  });
}

function invalidGrant(context: ErrorContext, hint: string): Body {
  const { where, codeReplayed } = context;
  if (where === 'refresh') return invalidGrantForRefresh(hint);
  if (codeReplayed || REUSED.test(hint)) {
    return std({
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
    });
  }
  if (PKCE.test(hint) && MISSING.test(hint)) return invalidRequest({ where: 'token' }, hint);
  if (PKCE.test(hint)) {
    return std({
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
    });
  }
  if (REDIRECT.test(hint)) {
    return std({
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
    });
  }
  if (CLOCK.test(hint)) {
    return std({
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
    });
  }
  if (CLIENT_MISMATCH.test(hint)) {
    return std({
      variant: 'client-mismatch',
      title: 'The code was issued to another client',
      meaning: 'The client_id of the token request differs from the one the code was issued to.',
      likelyCauses: [
        'The token request uses another client_id than the authorization request (two configurations, or another environment).',
        'Two apps share one callback, and the wrong one handled the code.',
      ],
      whatToCheck: ['Compare client_id in the authorization URL and in the token request.', ISSUE_NEW_SIGN_IN],
      spec: ['RFC 6749 §4.1.3', 'RFC 6749 §5.2'],
    });
  }
  if (INVALID_OR_EXPIRED.test(hint)) {
    return std({
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
    });
  }
  if (EXPIRED.test(hint)) {
    return std({
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
    });
  }
  if (NOT_FOUND.test(hint)) {
    return std({
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
    });
  }
  return std({
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
  });
}

function unauthorizedClient({ where }: ErrorContext): Body {
  if (where === 'authorization') {
    return std({
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
    });
  }
  return std({
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
  });
}

function invalidScope({ where, scope }: ErrorContext, hint: string): Body {
  const spec = ['RFC 6749 §3.3', where === 'authorization' ? 'RFC 6749 §4.1.2.1' : 'RFC 6749 §5.2'];
  if ((scope !== undefined && scope.length > FENERGO_SCOPE_LIMIT) || /too long|length|exceed|\b300\b/.test(hint)) {
    return std({
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
      spec,
    });
  }
  const refresh = where === 'refresh';
  return std({
    variant: refresh ? 'refresh' : where === 'token' ? 'token' : 'authorization',
    title: 'The server refused the requested scope',
    meaning: 'One or more scopes are unknown to the server, not allowed for this client, or malformed.',
    likelyCauses: [
      'A scope name is misspelled, or scopes are separated by commas; they must be separated by single spaces.',
      'The client is not allowed that scope, or offline_access, in the server settings.',
      ...(refresh
        ? ['The refresh asked for a scope the original grant did not include; a refresh may only keep or narrow it.']
        : []),
      `For Fenergo: a name outside the fenx.* catalog or tenant/<tenant-id>, or a list longer than ${FENERGO_SCOPE_LIMIT} characters.`,
    ],
    whatToCheck: [
      'Compare each scope with scopes_supported in the server metadata or the profile’s catalog.',
      'Remove scopes one by one to find the one refused.',
    ],
    spec: refresh ? [...spec, 'RFC 6749 §6'] : spec,
  });
}

function serverError({ where }: ErrorContext): Body {
  const exchange = where === 'token';
  return std({
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
      ...(exchange ? ['Do not send the same code again. ' + ISSUE_NEW_SIGN_IN] : []),
    ],
    spec: ['RFC 6749 §4.1.2.1', 'RFC 6749 §5.2'],
  });
}

function oidcPromptNone(title: string, meaning: string, cause: string, check: string): Explainer {
  return () =>
    std({
      title,
      meaning: `${meaning} It only happens when the request used prompt=none (a silent sign-in).`,
      likelyCauses: [cause, 'The silent sign-in ran in a hidden iframe, and the browser blocked the server’s cookies.'],
      whatToCheck: [check, 'Fall back to a normal, interactive sign-in without prompt=none.'],
      spec: ['OpenID Connect Core §3.1.2.6', 'OpenID Connect Core §3.1.2.1'],
    });
}

function redirectMismatch(source: ErrorSource, extraSpec: string[]): Explainer {
  return ({ where }) => {
    if (where === 'token') {
      return {
        source,
        variant: 'redirect-uri-differs',
        title: 'The redirect_uri differs from the authorization request',
        meaning:
          'The token request must carry exactly the redirect_uri string of the authorization request (GitHub reports it with this code).',
        likelyCauses: [
          'The token request rebuilt redirect_uri from the current address instead of reusing the stored string.',
          'A trailing slash, port, host or encoding differs between the two requests.',
        ],
        whatToCheck: ['Compare the two redirect_uri values character for character in the redirect-URI lab.'],
        spec: ['RFC 6749 §4.1.3', ...extraSpec],
      };
    }
    return {
      source,
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
      spec: ['RFC 6749 §3.1.2.3', 'RFC 6749 §3.1.2.4', 'RFC 9700 §4.1.3', ...extraSpec],
    };
  };
}

function corsBlocked({ where }: ErrorContext): Body {
  const api = where === 'resource';
  return {
    source: 'client',
    variant: api ? 'api' : 'token-endpoint',
    title: 'The browser blocked the response (CORS)',
    meaning: `fetch failed with a TypeError before any response reached the app. For a call to ${api ? 'an API' : 'the token endpoint'} on another origin, that almost always means the server did not send Access-Control-Allow-Origin for this app’s origin. The browser hides the reason from JavaScript; the DevTools console shows it.`,
    likelyCauses: [
      'The server does not allow this origin. It must answer with Access-Control-Allow-Origin set to the app’s exact origin: scheme, host and port (localhost:5173 and 127.0.0.1:5173 are different origins).',
      `The preflight (OPTIONS) request failed: a request with ${api ? 'an Authorization or DPoP' : 'a DPoP'} header needs it listed in Access-Control-Allow-Headers.`,
      ...(api
        ? []
        : [
            'The client is registered as confidential or as a server-side web app, and the server allows browser calls to its token endpoint only for public (single-page) clients.',
          ]),
      'Error responses lack the CORS headers that successful ones have, which hides the real OAuth error.',
      'Not CORS at all: the server is unreachable, its certificate is not trusted, an https page calls an http endpoint, or the page’s Content-Security-Policy connect-src blocks it. They all fail with the same TypeError.',
    ],
    whatToCheck: [
      'Open the DevTools console: the browser names the missing header.',
      'In the Network panel, look at the OPTIONS request and at the response headers.',
      'Add this app’s exact origin to the server’s allowed origins for this client.',
      ...(api
        ? []
        : [
            'A confidential client (one with a client secret) must not call the token endpoint from the browser at all: call it from a server route, where CORS does not apply and the secret stays on the server.',
          ]),
    ],
    spec: ['Fetch Standard §3.2 (CORS protocol)', 'OAuth 2.0 for Browser-Based Applications §6.1, §6.3'],
  };
}

function networkError({ where }: ErrorContext): Body {
  const tail =
    where === 'token'
      ? ['The code may have reached the server even so: do not send it again. ' + ISSUE_NEW_SIGN_IN]
      : where === 'refresh'
        ? ['Keep the session and retry the refresh when the network is back, with backoff.']
        : ['Retry when the connection is back.'];
  return {
    source: 'client',
    variant: where === 'token' || where === 'refresh' ? where : undefined,
    title: 'The server could not be reached',
    meaning: 'The request failed before any answer arrived: no HTTP status, no error code.',
    likelyCauses: [
      'This device is offline, or DNS cannot resolve the server’s name.',
      'The server is down, or the address or port is wrong (is the local sandbox running?).',
      'The server’s TLS certificate is not trusted.',
      'An https page called an http endpoint (mixed content), or the Content-Security-Policy connect-src blocked it.',
      'CORS blocked the response: in a browser it fails in exactly the same way.',
    ],
    whatToCheck: [
      'Open the endpoint’s address in a new tab.',
      'Read the DevTools console for the browser’s reason.',
      ...tail,
    ],
    spec: ['Fetch Standard §4.1 (network error)'],
  };
}

function timeout({ where }: ErrorContext): Body {
  const tail =
    where === 'token'
      ? ['The server may have used the code even though no answer arrived: do not send it again. ' + ISSUE_NEW_SIGN_IN]
      : where === 'refresh'
        ? [
            'The server may have rotated the refresh token before the answer was lost. Retrying with the old one can trip reuse detection: refresh one at a time, and sign in again if the retry gets invalid_grant.',
          ]
        : ['Retry once, after a pause.'];
  return {
    source: 'client',
    variant: where === 'token' || where === 'refresh' ? where : undefined,
    title: 'The server took too long to answer',
    meaning: 'No answer arrived within the time limit, so the request was abandoned. It may still have been processed.',
    likelyCauses: [
      'The server is slow or overloaded.',
      'A slow or unstable network (a mobile connection, a VPN).',
      'Something between the app and the server holds requests (a proxy or firewall).',
    ],
    whatToCheck: ['Check the request’s timing in the Network panel.', ...tail],
    spec: ['RFC 6749 §10.5'],
  };
}

function stateMismatch(): Body {
  return {
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
  };
}

const OAUTH_CODE = {
  comparison: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  claim: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  invalid: 'OAUTH_INVALID_RESPONSE',
  notJson: 'OAUTH_RESPONSE_IS_NOT_JSON',
  notConform: 'OAUTH_RESPONSE_IS_NOT_CONFORM',
  parse: 'OAUTH_PARSE_ERROR',
  http: 'OAUTH_HTTP_REQUEST_FORBIDDEN',
  protocol: 'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
  metadata: 'OAUTH_INVALID_SERVER_METADATA',
  noMetadata: 'OAUTH_MISSING_SERVER_METADATA',
} as const;

/**
 * Fieldpass's own code for an answer that oauth4webapi refused: the reading follows oauth4webapi's
 * error code and the attribute it compared, never a server's words (there are none).
 */
function invalidResponse({ where, processing }: ErrorContext): Body {
  const client = (body: Omit<Body, 'source'>): Body => ({ ...body, source: 'client' });
  const code = processing?.code;
  const attribute = processing?.attribute;
  if (attribute === 'iss' && (code === OAUTH_CODE.invalid || code === OAUTH_CODE.claim)) {
    const idToken = code === OAUTH_CODE.claim;
    return client({
      variant: 'iss-mismatch',
      title: idToken ? 'The ID token names another issuer' : 'The answer names another server (mix-up check)',
      meaning: idToken
        ? 'The ID token’s iss claim is not the issuer in the profile, so Fieldpass refused the tokens.'
        : 'The callback’s iss is not the issuer in the profile (or is missing though the server promises it), so Fieldpass did not trust it and exchanged no code. This check stops a mix-up: an answer from another server passed off as this one’s.',
      likelyCauses: [
        'The issuer in the profile is spelled differently from the server’s (a trailing slash, http against https, another host name or port).',
        'The sign-in went to another server, tenant or realm than the profile names.',
        'Someone sent the browser an answer from another server: a mix-up attack.',
      ],
      whatToCheck: [
        'Compare the issuer in the profile, character by character, with the issuer in the server’s metadata.',
        'Start a new sign-in from the inspector and check which server’s page opens.',
      ],
      spec: idToken ? ['OpenID Connect Core §3.1.3.7'] : ['RFC 9207 §2.4', 'RFC 9700 §4.4'],
    });
  }
  if (code === OAUTH_CODE.comparison && attribute === 'issuer') {
    return client({
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
    });
  }
  if (
    code === OAUTH_CODE.http ||
    code === OAUTH_CODE.protocol ||
    code === OAUTH_CODE.metadata ||
    code === OAUTH_CODE.noMetadata
  ) {
    return client({
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
    });
  }
  if (code === OAUTH_CODE.notJson || code === OAUTH_CODE.notConform || code === OAUTH_CODE.parse) {
    return client({
      variant: 'unreadable',
      title: where === 'discovery' ? 'The metadata could not be read' : 'The answer could not be read',
      meaning:
        code === OAUTH_CODE.notConform
          ? 'The answer came with an HTTP status this step does not expect, and without an OAuth error Fieldpass could read.'
          : 'The answer is not the JSON this step expects.',
      likelyCauses: [
        'A proxy, gateway or login page answered instead of the OAuth server (an HTML page, a redirect).',
        'The address is not the endpoint: a typo in the path, or a path the server does not serve.',
        'The server failed and answered with an error page.',
      ],
      whatToCheck: [
        'Read the status, Content-Type and body of the answer in the exchange above.',
        'Open the endpoint’s address in a new tab.',
      ],
      spec: where === 'discovery' ? ['RFC 8414 §3.2'] : ['RFC 6749 §5.1', 'RFC 6749 §5.2'],
    });
  }
  return client({
    title: 'Fieldpass refused the answer',
    meaning: 'Fieldpass’s own code for an answer that arrived but breaks a rule the protocol sets, so it was not used.',
    likelyCauses: [
      'A value in the answer is missing, repeated or of the wrong type.',
      'A signature or a claim in a token does not check out.',
    ],
    whatToCheck: ['Read what the inspector knows, above, and the answer in the exchange.'],
    spec: ['RFC 6749 §5.1'],
    undetermined: true,
  });
}

// How servers word the common failures, whatever code they send them under: oidc-provider,
// Keycloak, Okta, Microsoft Entra ID (AADSTS…), Auth0, Google, Amazon Cognito and PingFederate
// say the same thing with invalid_request, invalid_grant, unauthorized_client, invalid_client or a
// code of their own. Searched in the lower-cased description only.
const REDIRECT_WORDS = /redirect[_ ]?ur[il]|reply ur[il]|reply address|callback url|aadsts50011|redirect_mismatch/;
/** The URI is not one registered for the client (the authorization request's check). */
const NOT_REGISTERED =
  /not registered|not (?:in|on) the list|not (?:an? )?(?:allowed|permitted|whitelisted|valid)|did not match any|does not match (?:any|one of)|must be a login redirect|invalid parameter: redirect_uri|callback url mismatch|aadsts50011|(?:match|matches) the registered|configured for the application|registered (?:redirect|callback|reply)/;
/** The token request's redirect_uri is not the authorization request's. */
const DIFFERS_FROM_REQUEST =
  /authori[sz]ation request|used in the|incorrect redirect|sent (?:with|in) the|same redirect|original redirect/;
/** The client_id itself is unknown; not its secret. */
const CLIENT_UNKNOWN =
  /unknown client|client (?:is )?(?:not found|unknown|invalid\b)|client does not exist|no client|application with identifier .{0,120}not found|aadsts700016|oauth client was not found|invalid (?:value for '?)?client_id|client_id .{0,60}(?:unknown|not found|invalid|does not exist)/;
/** The client was found, and its secret or assertion failed; or the server will not say which. */
const CLIENT_AUTH =
  /authentication failed|client credentials|client secret|secret is (?:invalid|wrong|incorrect)|invalid client\b|aadsts7000215|aadsts7000218/;

/** Codes whose description decides the reading more than the code does. */
const READ_BY_WORDS = new Set([
  'invalid_request',
  'invalid_grant',
  'unauthorized_client',
  'invalid_client',
  'redirect_uri_mismatch',
  'invalid_redirect_uri',
  'redirect_mismatch',
]);
const VENDOR_CODES = new Set(['redirect_uri_mismatch', 'invalid_redirect_uri', 'redirect_mismatch']);

/** The code-exchange readings that the wording alone can pick, under any of READ_BY_WORDS. */
const CODE_READINGS = new Set([
  'code-reused',
  'code-expired',
  'code-unknown-or-expired',
  'pkce-mismatch',
  'verifier-missing',
  'redirect-uri-differs',
]);

function redirectUnclear(source: ErrorSource): Body {
  return {
    source,
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
  };
}

function clientUnknown(source: ErrorSource, where: ErrorWhere | undefined): Body {
  const signIn = where === 'authorization' || where === undefined;
  return {
    source,
    variant: 'client-unknown',
    title: 'The server does not know this client_id',
    meaning: signIn
      ? 'No client with this client_id is registered (or enabled) at this server, so it cannot check the redirect_uri and shows its own error page instead of sending the user back.'
      : 'No client with this client_id is registered (or enabled) at this server. It is about the app’s registration, not the user or the code.',
    likelyCauses: [
      'A typo in client_id, or a client_id from another environment, tenant or realm.',
      'The request went to another issuer than the one the client is registered at (another tenant, realm or region).',
      'The client was deleted or disabled at the server.',
    ],
    whatToCheck: [
      'Copy the client_id again from the server’s client settings for this exact issuer.',
      'Check the issuer in the profile is the tenant or realm where the client is registered.',
    ],
    spec: ['RFC 6749 §2.2', signIn ? 'RFC 6749 §4.1.2.1' : 'RFC 6749 §5.2'],
  };
}

/**
 * The reading that the server's words decide, whichever of READ_BY_WORDS carries them; undefined
 * when the words say nothing these readings know, and the code's own explainer reads it.
 */
function readWords(key: string, context: ErrorContext, hint: string): Body | undefined {
  if (!READ_BY_WORDS.has(key)) return undefined;
  const { where } = context;
  const source: ErrorSource = VENDOR_CODES.has(key) ? 'non-standard' : 'standard';
  const withSource = (body: Body): Body => ({ ...body, source });
  if (REDIRECT_WORDS.test(hint) || VENDOR_CODES.has(key)) {
    if (where === 'refresh' || where === 'introspection' || where === 'revocation' || where === 'resource')
      return undefined;
    const atToken = where === 'token' || key === 'invalid_grant';
    const differs = () => withSource(invalidGrant({ where: 'token' }, 'redirect_uri'));
    const unregistered = () => redirectMismatch(source, [])({ where: 'authorization' }, hint);
    if (NOT_REGISTERED.test(hint)) return unregistered();
    if (DIFFERS_FROM_REQUEST.test(hint) || atToken) return differs();
    if (where === 'authorization' || VENDOR_CODES.has(key)) return unregistered();
    if (REDIRECT_WORDS.test(hint)) return redirectUnclear(source);
  }
  if (hint === '') return undefined;
  if (CLIENT_UNKNOWN.test(hint) && !CLIENT_AUTH.test(hint)) return clientUnknown(source, where);
  if (where === 'refresh' || (where !== undefined && where !== 'token' && key !== 'invalid_grant')) return undefined;
  const grant = invalidGrant({ ...context, where: 'token' }, hint);
  return grant.variant && CODE_READINGS.has(grant.variant) ? withSource(grant) : undefined;
}

function unsupportedTokenType({ where }: ErrorContext): Body {
  if (where === 'introspection') {
    return std({
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
    });
  }
  return std({
    variant: where === 'revocation' ? 'revocation' : undefined,
    title: 'The server cannot revoke this type of token',
    meaning:
      'The revocation endpoint does not support revoking this kind of token. (An unknown or already invalid token is not an error: the server answers 200.)',
    likelyCauses: [
      'The server revokes refresh tokens only; self-contained (JWT) access tokens often cannot be revoked and simply expire.',
      'token_type_hint names the wrong type.',
    ],
    whatToCheck: [
      'Revoke the refresh token instead; that ends the grant.',
      'Correct token_type_hint, or leave it out.',
    ],
    spec: ['RFC 7009 §2.2.1', 'RFC 7009 §2.1'],
  });
}

/** Variables of one server-side provider, as the route's configuration names them. */
function providerVariables(provider: string | undefined): string {
  const prefix = provider
    ? `M2M_${provider
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '_')
        .slice(0, 40)}_`
    : 'M2M_<NAME>_';
  return prefix;
}

/** A code Fieldpass's own server route answers with (the client-credentials tester's route). */
function route(body: Omit<Body, 'source' | 'spec'> & { spec?: string[] }): Body {
  return { spec: ['RFC 6749 §4.4', 'RFC 6749 §5.2'], ...body, source: 'route' };
}

const ROUTE_EXPLAINERS: Record<string, Explainer> = {
  upstream_auth_failed: ({ provider }) => {
    const p = providerVariables(provider);
    return route({
      title: 'The provider refused the server’s client credentials',
      meaning:
        'Fieldpass’s server asked the provider’s token endpoint for a service token with the configured client id and secret, and the provider refused them (HTTP 400 or 401). Nothing about your own sign-in is wrong.',
      likelyCauses: [
        `${p}CLIENT_ID or ${p}CLIENT_SECRET differs from the client registered at the provider (another environment, or a rotated secret).`,
        `${p}AUTH_METHOD is not the one the provider expects (client_secret_post against client_secret_basic).`,
        `${p}SCOPE has a name the provider does not know, or is separated by commas instead of spaces.`,
        `${p}TOKEN_URL points at another tenant or environment than the client’s.`,
      ],
      whatToCheck: [
        `Compare ${p}CLIENT_ID, ${p}CLIENT_SECRET, ${p}AUTH_METHOD and ${p}SCOPE in the server’s environment with the provider’s registration.`,
        'Run npm run doctor where the server runs: it asks the provider for a token and names the variable at fault.',
        'Read the server log for the provider’s own answer; the route never passes it on.',
      ],
      spec: ['RFC 6749 §4.4.2', 'RFC 6749 §2.3.1', 'RFC 6749 §5.2'],
    });
  },
  upstream_unavailable: ({ provider }) =>
    route({
      title: 'The provider could not be reached',
      meaning:
        'Fieldpass’s server could not get an answer it could use from the provider’s token endpoint or API: it was unreachable or failed.',
      likelyCauses: [
        `${providerVariables(provider)}TOKEN_URL or the API base URL is wrong, or the provider is down.`,
        'After a failure the route waits before asking again (up to a minute), and answers this meanwhile.',
      ],
      whatToCheck: ['Try again in a minute.', 'Run npm run doctor where the server runs, and read the server log.'],
    }),
  upstream_timeout: () =>
    route({
      title: 'The provider took too long to answer',
      meaning: 'Fieldpass’s server gave up waiting for the provider.',
      likelyCauses: ['The provider is slow or overloaded.', 'A network path between the server and the provider.'],
      whatToCheck: ['Try again later.', 'Read the server log around the time of the request.'],
    }),
  upstream_forbidden: () =>
    route({
      title: 'The service credential lacks permission',
      meaning: 'The provider accepted the service token but refused this resource to it (HTTP 403).',
      likelyCauses: ['The client was not granted the scope or role this call needs at the provider.'],
      whatToCheck: ['Compare the configured scope with what the provider requires for this call.'],
    }),
  upstream_rejected: () =>
    route({
      title: 'The provider refused the request',
      meaning: 'The provider answered the call itself with a client error.',
      likelyCauses: ['A wrong path or request body for this provider.'],
      whatToCheck: ['Check the path and body against the provider’s documentation.'],
    }),
  unknown_provider: () =>
    route({
      title: 'The server has no provider of that name',
      meaning: 'The name is not in the server’s M2M_PROVIDERS list.',
      likelyCauses: ['A typo in the provider name, or the server was started without it.'],
      whatToCheck: [
        'Compare the name with M2M_PROVIDERS in the server’s environment; the server reads it at start-up.',
      ],
    }),
  service_unavailable: () =>
    route({
      title: 'The server cannot check who is asking right now',
      meaning:
        'Fieldpass’s server route could not verify your sign-in with the authorization server (its keys or introspection were unreachable), so it made no call. Your sign-in itself is not known to be wrong.',
      likelyCauses: [
        'The authorization server, or the route’s introspection credentials, failed on the server’s side.',
      ],
      whatToCheck: ['Try again in a few seconds.', 'The server log and /readyz name the failing check.'],
    }),
  not_allowed: () =>
    route({
      title: 'The operation is not on the provider’s allow-list',
      meaning: 'The route only makes the calls its configuration allows for each provider.',
      likelyCauses: ['The method and path are not in the provider’s ALLOW list.'],
      whatToCheck: ['Check the provider’s M2M_<NAME>_ALLOW variable.'],
    }),
};

const EXPLAINERS: Record<string, Explainer> = {
  invalid_request: invalidRequest,
  state_mismatch: stateMismatch,
  invalid_response: invalidResponse,
  unauthorized_client: unauthorizedClient,
  access_denied: () =>
    std({
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
    }),
  unsupported_response_type: () =>
    std({
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
    }),
  invalid_scope: invalidScope,
  server_error: serverError,
  temporarily_unavailable: () =>
    std({
      title: 'The server is temporarily unavailable',
      meaning: 'The server is overloaded or under maintenance and asks you to come back later.',
      likelyCauses: ['Maintenance or an outage at the provider.', 'Too much traffic at the server.'],
      whatToCheck: [
        'Wait, then try again, with growing pauses; honour Retry-After if the server sends it.',
        'Check the provider’s status page.',
      ],
      spec: ['RFC 6749 §4.1.2.1'],
    }),
  invalid_client: invalidClient,
  invalid_grant: invalidGrant,
  unsupported_grant_type: () =>
    std({
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
    }),
  invalid_token: (_context, hint) =>
    std({
      variant: EXPIRED.test(hint) ? 'expired' : undefined,
      title: EXPIRED.test(hint) ? 'The access token expired' : 'The API refused the access token',
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
    }),
  insufficient_scope: () =>
    std({
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
    }),
  unsupported_token_type: unsupportedTokenType,
  invalid_dpop_proof: () =>
    std({
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
    }),
  use_dpop_nonce: () =>
    std({
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
    }),
  invalid_target: () =>
    std({
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
    }),
  login_required: oidcPromptNone(
    'The user must sign in',
    'The server has no signed-in session for this user, so it cannot answer without showing a login page.',
    'The user’s session at the server expired, or they signed out.',
    'Check whether the user is signed in at the server in another tab.',
  ),
  consent_required: oidcPromptNone(
    'The user must give consent',
    'The user is signed in at the server, but has not approved this app or these scopes.',
    'A new scope was added, or the user or an administrator withdrew consent.',
    'Check the scopes requested against those already approved.',
  ),
  interaction_required: oidcPromptNone(
    'The user must do something at the server',
    'The user is signed in, but the server needs them to act first, for example a second factor, new terms, or a password change.',
    'A policy requires multi-factor authentication or another step.',
    'Sign in interactively once to see what the server asks for.',
  ),
  account_selection_required: oidcPromptNone(
    'The user must choose an account',
    'Several accounts are signed in at the server, and it will not guess which one.',
    'The user is signed in with more than one account.',
    'Send login_hint, or use prompt=select_account.',
  ),
  redirect_uri_mismatch: redirectMismatch('non-standard', []),
  invalid_redirect_uri: redirectMismatch('non-standard', ['RFC 7591 §3.2.2']),
  redirect_mismatch: redirectMismatch('non-standard', []),
  cors_blocked: corsBlocked,
  csp_blocked: () => ({
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
  }),
  network_error: networkError,
  timeout,
  rate_limited: ({ where }) => ({
    source: where === 'route' ? 'route' : 'client',
    title: 'Too many requests (rate limited)',
    meaning:
      where === 'route'
        ? 'Fieldpass’s server route is holding requests back: the provider limited its requests, or you reached your own limit on the route. Its Retry-After header says how many seconds to wait.'
        : 'The server answered HTTP 429: too many requests in a period. Its Retry-After header, in seconds or as a date, says how long to wait; some APIs use X-RateLimit-Reset.',
    likelyCauses: [
      'A loop: a refresh or retry without a pause, or a page effect that runs again and again.',
      'Many tabs or devices calling at once with the same client or user.',
      ...(where === 'token' || where === 'refresh'
        ? ['A new token fetched for every call instead of reusing it until shortly before it expires.']
        : []),
      'Other apps using the same client_id used up the shared quota.',
    ],
    whatToCheck: [
      'Wait as long as Retry-After says, then try once.',
      'Look for repeated identical requests in the Network panel.',
      'Retry with growing pauses and some randomness (backoff with jitter).',
    ],
    spec: ['RFC 6585 §4', 'RFC 9110 §10.2.3'],
  }),
  ...ROUTE_EXPLAINERS,
};

/** Every code the explainer recognises, in the spellings servers send; anything else gets a generic explanation. */
export const KNOWN_ERROR_CODES: readonly string[] = Object.freeze(Object.keys(EXPLAINERS));

function unrecognized(code: string, status: number | undefined): Explanation {
  return {
    code,
    source: 'unrecognized',
    title: code.trim() === '' ? 'No error code' : 'Unrecognized error code',
    meaning:
      'This code is not one defined by the OAuth or OpenID Connect specifications known here; it is probably specific to this server. The server’s error_description and error_uri, and its documentation, are the best guide.',
    likelyCauses: [
      'A code specific to this provider.',
      'A proxy or gateway in front of the server answered instead of the server itself.',
      ...(status !== undefined && status >= 500 ? [`HTTP ${status} points to a failure at the server.`] : []),
      ...(status === 401 || status === 403 ? [`HTTP ${status} points to refused credentials or permissions.`] : []),
    ],
    whatToCheck: [
      'Read error_description, and open error_uri if it is an https link.',
      'Search the provider’s documentation for the exact code.',
      'Read the server log around the time of the request.',
    ],
    spec: ['RFC 6749 §4.1.2.1', 'RFC 6749 §5.2'],
  };
}

/**
 * Explains an OAuth error code (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; RFC 7009 §2.2.1; RFC 9449;
 * RFC 8707; OpenID Connect Core §3.1.2.6), a common vendor code, or one of Fieldpass's own
 * pseudo-codes for failures without one: `state_mismatch`, `invalid_response` (read from
 * oauth4webapi's code in `processing`), `cors_blocked`, `network_error`, `timeout`,
 * `rate_limited`, or a code of its own server route (`upstream_auth_failed`, …). The description
 * picks the reading where servers word one failure under several codes (a redirect URI not
 * registered, an unknown client, a spent or expired code, a PKCE mismatch). With no code, HTTP 429
 * reads as `rate_limited` and 5xx as `server_error`.
 */
export function explainError(code: string, context: ErrorContext = {}): Explanation {
  let key = code.trim().toLowerCase();
  if (key === '' && context.status === 429) key = 'rate_limited';
  else if (key === '' && context.status !== undefined && context.status >= 500) key = 'server_error';
  const explain = Object.hasOwn(EXPLAINERS, key) ? EXPLAINERS[key] : undefined;
  if (!explain) return unrecognized(code, context.status);
  // Only a bounded prefix is searched, so a hostile description costs nothing.
  const hint = (context.description ?? '').slice(0, 500).toLowerCase();
  // The pushed request carries the authorization request: its errors read as the authorization endpoint's.
  const readAs: ErrorContext = context.where === 'par' ? { ...context, where: 'authorization' } : context;
  const body = readWords(key, readAs, hint) ?? explain(readAs, hint);
  if (body.variant === undefined) delete body.variant;
  if (!body.undetermined) delete body.undetermined;
  return { code: key, ...body };
}

/** The readings that are about the redirect URI, so the page can point to its redirect-URI check. */
const REDIRECT_READINGS = new Set(['redirect-uri-unregistered', 'redirect-uri-unclear']);

/** Whether an explanation reads the failure as a redirect URI the server does not accept for this client. */
export function concernsRegisteredRedirectUri(explanation: Explanation): boolean {
  return explanation.variant !== undefined && REDIRECT_READINGS.has(explanation.variant);
}

/** What a server itself sent: its `error` and `error_description`, verbatim. */
export interface ServerError {
  error: string;
  description?: string;
  status: number;
}

/** The parts of a recorded HTTP answer this module reads. */
interface RecordedAnswer {
  response?: { status: number; headers: Record<string, string>; body: string };
}

/** The part of a step's failure this module reads: the challenge oauth4webapi parsed, if any. */
interface ChallengeFailure {
  /** The WWW-Authenticate challenge's parameters, as oauth4webapi parsed them. */
  challenge?: Partial<Record<string, string>>;
}

/**
 * The OAuth error the last recorded answer carries, as the server sent it: the JSON body's `error`
 * and `error_description` (RFC 6749 §5.2), else those of the WWW-Authenticate challenge (RFC 6750
 * §3) that oauth4webapi parsed from that answer, passed as `failure`. Undefined when no answer
 * arrived or the answer holds no error code: then any code shown is Fieldpass's own diagnosis, not
 * the server's.
 */
export function serverErrorIn(
  exchanges: readonly RecordedAnswer[],
  failure?: ChallengeFailure,
): ServerError | undefined {
  const response = exchanges.at(-1)?.response;
  if (!response) return undefined;
  try {
    const body: unknown = JSON.parse(response.body);
    if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string') {
      const { error, error_description } = body as { error: string; error_description?: unknown };
      const description = typeof error_description === 'string' ? error_description : undefined;
      return { error, description, status: response.status };
    }
  } catch {
    // Not JSON: the challenge header may still carry the error.
  }
  const error = failure?.challenge?.error;
  if (error === undefined) return undefined;
  return { error, description: failure?.challenge?.error_description, status: response.status };
}

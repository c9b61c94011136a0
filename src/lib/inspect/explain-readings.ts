// How the explainer reads a code in its context: which of the texts in explain-texts.ts fits the
// endpoint that answered, what Fieldpass knows, and the words of the server's description.
// Framework-free.
import { FENERGO_SCOPE_LIMIT } from '../catalogs/fenergo-scopes.js';
import type { ErrorContext, ErrorSource, ErrorWhere, ExplanationText } from './explain.js';
import {
  CORS_BLOCKED,
  INVALID_CLIENT,
  INVALID_GRANT,
  INVALID_GRANT_AT_REFRESH,
  INVALID_REQUEST,
  INVALID_RESPONSE,
  INVALID_SCOPE,
  INVALID_TOKEN,
  NETWORK_ERROR,
  RATE_LIMITED,
  REDIRECT_MISMATCH,
  REDIRECT_UNCLEAR,
  SERVER_ERROR,
  TIMEOUT,
  UNAUTHORIZED_CLIENT,
  UNKNOWN_CLIENT,
  UNSUPPORTED_TOKEN_TYPE,
} from './explain-texts.js';

/** Reads one code: the text that fits the context and the lower-cased description (`hint`). */
export type Explainer = (context: ErrorContext, hint: string) => ExplanationText;

/** One reading of a code: when it applies, and its text or the explainer that words it. */
interface Reading {
  when: (hint: string, context: ErrorContext) => boolean;
  text: ExplanationText | Explainer;
}

/** The first reading that applies, else `otherwise`. */
function read(readings: readonly Reading[], context: ErrorContext, hint: string, otherwise: ExplanationText) {
  const reading = readings.find((r) => r.when(hint, context));
  if (!reading) return otherwise;
  return typeof reading.text === 'function' ? reading.text(context, hint) : reading.text;
}

/** Applies when this endpoint answered. */
const at =
  (endpoint: ErrorWhere) =>
  (_hint: string, { where }: ErrorContext) =>
    where === endpoint;

/** Applies when the description has these words. */
const says = (words: RegExp) => (hint: string) => words.test(hint);

/** invalid_request, in order: the endpoint that answered, then what the description names. */
const INVALID_REQUEST_READINGS: readonly Reading[] = [
  { when: at('resource'), text: INVALID_REQUEST.resource },
  { when: at('introspection'), text: INVALID_REQUEST.introspection },
  { when: at('revocation'), text: INVALID_REQUEST.revocation },
  {
    when: (hint, { where }) => (where === 'token' || where === 'refresh') && /code[_ ]verifier/.test(hint),
    text: INVALID_REQUEST.verifierMissing,
  },
  { when: at('token'), text: INVALID_REQUEST.token },
  { when: at('refresh'), text: INVALID_REQUEST.refresh },
  { when: says(/code[_ ]challenge|pkce/), text: INVALID_REQUEST.pkceRequired },
];

/** invalid_request (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1). */
export function invalidRequest(context: ErrorContext, hint: string): ExplanationText {
  return read(INVALID_REQUEST_READINGS, context, hint, INVALID_REQUEST.authorization);
}

/** invalid_client (RFC 6749 §5.2). */
export function invalidClient({ where }: ErrorContext): ExplanationText {
  if (where === 'introspection') return INVALID_CLIENT.introspection;
  if (where === 'authorization') return INVALID_CLIENT.authorization;
  return INVALID_CLIENT.clientAuth;
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

/** invalid_grant in answer to a refresh, by what the description names. */
const REFRESH_GRANT_READINGS: readonly Reading[] = [
  { when: (hint) => REUSED.test(hint) || /rotat/.test(hint), text: INVALID_GRANT_AT_REFRESH.reused },
  { when: (hint) => EXPIRED.test(hint) || /inactiv|idle/.test(hint), text: INVALID_GRANT_AT_REFRESH.expired },
  { when: says(/revok/), text: INVALID_GRANT_AT_REFRESH.revoked },
];

/** invalid_grant for an authorization code, in order: what Fieldpass knows, then the description. */
const GRANT_READINGS: readonly Reading[] = [
  { when: (hint, { codeReplayed }) => codeReplayed === true || REUSED.test(hint), text: INVALID_GRANT.codeReused },
  {
    when: (hint) => PKCE.test(hint) && MISSING.test(hint),
    text: (_context, hint) => invalidRequest({ where: 'token' }, hint),
  },
  { when: says(PKCE), text: INVALID_GRANT.pkceMismatch },
  { when: says(REDIRECT), text: INVALID_GRANT.redirectUriDiffers },
  { when: says(CLOCK), text: INVALID_GRANT.clockSkew },
  { when: says(CLIENT_MISMATCH), text: INVALID_GRANT.clientMismatch },
  { when: says(INVALID_OR_EXPIRED), text: INVALID_GRANT.codeUnknownOrExpired },
  { when: says(EXPIRED), text: INVALID_GRANT.codeExpired },
  { when: says(NOT_FOUND), text: INVALID_GRANT.codeUnknown },
];

/** invalid_grant (RFC 6749 §5.2): for a refresh token or for an authorization code. */
export function invalidGrant(context: ErrorContext, hint: string): ExplanationText {
  if (context.where === 'refresh') return read(REFRESH_GRANT_READINGS, context, hint, INVALID_GRANT_AT_REFRESH.generic);
  return read(GRANT_READINGS, context, hint, INVALID_GRANT.codeGeneric);
}

/** unauthorized_client (RFC 6749 §4.1.2.1, §5.2). */
export function unauthorizedClient({ where }: ErrorContext): ExplanationText {
  return where === 'authorization' ? UNAUTHORIZED_CLIENT.authorization : UNAUTHORIZED_CLIENT.token;
}

/** invalid_scope (RFC 6749 §3.3); Fenergo limits the scope string's length. */
export function invalidScope({ where, scope }: ErrorContext, hint: string): ExplanationText {
  const spec = ['RFC 6749 §3.3', where === 'authorization' ? 'RFC 6749 §4.1.2.1' : 'RFC 6749 §5.2'];
  if ((scope !== undefined && scope.length > FENERGO_SCOPE_LIMIT) || /too long|length|exceed|\b300\b/.test(hint)) {
    return { ...INVALID_SCOPE.tooLong, spec };
  }
  if (where === 'refresh') return { ...INVALID_SCOPE.refresh, spec: [...spec, 'RFC 6749 §6'] };
  return { ...(where === 'token' ? INVALID_SCOPE.token : INVALID_SCOPE.authorization), spec };
}

/** server_error (RFC 6749 §4.1.2.1, §5.2). */
export function serverError({ where }: ErrorContext): ExplanationText {
  return where === 'token' ? SERVER_ERROR.token : SERVER_ERROR.anywhere;
}

/** A vendor's code for a refused redirect URI, with its source and any further section to cite. */
export function redirectMismatch(source: ErrorSource, extraSpec: string[]): Explainer {
  return ({ where }) => {
    const text = where === 'token' ? REDIRECT_MISMATCH.differs : REDIRECT_MISMATCH.unregistered;
    return { ...text, source, spec: [...text.spec, ...extraSpec] };
  };
}

/** Fieldpass's cors_blocked: a response the browser withheld. */
export function corsBlocked({ where }: ErrorContext): ExplanationText {
  return where === 'resource' ? CORS_BLOCKED.api : CORS_BLOCKED.tokenEndpoint;
}

/** Fieldpass's network_error: no answer at all. */
export function networkError({ where }: ErrorContext): ExplanationText {
  return where === 'token' || where === 'refresh' ? NETWORK_ERROR[where] : NETWORK_ERROR.anywhere;
}

/** Fieldpass's timeout: no answer within the time limit. */
export function timeout({ where }: ErrorContext): ExplanationText {
  return where === 'token' || where === 'refresh' ? TIMEOUT[where] : TIMEOUT.anywhere;
}

/** invalid_token from an API (RFC 6750 §3.1). */
export function invalidToken(_context: ErrorContext, hint: string): ExplanationText {
  return EXPIRED.test(hint) ? INVALID_TOKEN.expired : INVALID_TOKEN.refused;
}

/** rate_limited: HTTP 429 (RFC 6585 §4), from a server or from Fieldpass's own route. */
export function rateLimited({ where }: ErrorContext): ExplanationText {
  if (where === 'route') return RATE_LIMITED.route;
  return where === 'token' || where === 'refresh' ? RATE_LIMITED.token : RATE_LIMITED.anywhere;
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
export function invalidResponse({ where, processing }: ErrorContext): ExplanationText {
  const code = processing?.code;
  const attribute = processing?.attribute;
  if (attribute === 'iss' && code === OAUTH_CODE.invalid) return INVALID_RESPONSE.issMismatch;
  if (attribute === 'iss' && code === OAUTH_CODE.claim) return INVALID_RESPONSE.idTokenIssMismatch;
  if (code === OAUTH_CODE.comparison && attribute === 'issuer') return INVALID_RESPONSE.metadataIssuerMismatch;
  if (
    code === OAUTH_CODE.http ||
    code === OAUTH_CODE.protocol ||
    code === OAUTH_CODE.metadata ||
    code === OAUTH_CODE.noMetadata
  ) {
    return INVALID_RESPONSE.endpointUnusable;
  }
  if (code === OAUTH_CODE.notJson || code === OAUTH_CODE.notConform || code === OAUTH_CODE.parse) {
    const status = code === OAUTH_CODE.notConform;
    if (where === 'discovery')
      return status ? INVALID_RESPONSE.metadataUnexpectedStatus : INVALID_RESPONSE.unreadableMetadata;
    return status ? INVALID_RESPONSE.unexpectedStatus : INVALID_RESPONSE.unreadableAnswer;
  }
  return INVALID_RESPONSE.refused;
}

/** unsupported_token_type (RFC 7009 §2.2.1; RFC 7662 §2.1). */
export function unsupportedTokenType({ where }: ErrorContext): ExplanationText {
  if (where === 'introspection') return UNSUPPORTED_TOKEN_TYPE.introspection;
  return where === 'revocation' ? UNSUPPORTED_TOKEN_TYPE.revocation : UNSUPPORTED_TOKEN_TYPE.anywhere;
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

function redirectUnclear(source: ErrorSource): ExplanationText {
  return { ...REDIRECT_UNCLEAR, source };
}

function clientUnknown(source: ErrorSource, where: ErrorWhere | undefined): ExplanationText {
  const signIn = where === 'authorization' || where === undefined;
  return { ...(signIn ? UNKNOWN_CLIENT.signIn : UNKNOWN_CLIENT.elsewhere), source };
}

/**
 * The reading that the server's words decide, whichever of READ_BY_WORDS carries them; undefined
 * when the words say nothing these readings know, and the code's own explainer reads it.
 */
export function readWords(key: string, context: ErrorContext, hint: string): ExplanationText | undefined {
  if (!READ_BY_WORDS.has(key)) return undefined;
  const { where } = context;
  const source: ErrorSource = VENDOR_CODES.has(key) ? 'non-standard' : 'standard';
  const withSource = (body: ExplanationText): ExplanationText => ({ ...body, source });
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
function route(body: Omit<ExplanationText, 'source' | 'spec'> & { spec?: string[] }): ExplanationText {
  return { spec: ['RFC 6749 §4.4', 'RFC 6749 §5.2'], ...body, source: 'route' };
}

/** The route's codes whose texts name the provider's variables. */
export const PROVIDER_EXPLAINERS = {
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
} satisfies Record<string, Explainer>;

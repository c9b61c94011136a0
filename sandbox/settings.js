// Sandbox settings: read once from the environment, with defaults that need no configuration.
// Tests may change the token lifetimes, the rate limit, whether PAR is advertised, discovery, iss
// in responses and CORS at run time
// through the admin API (see admin.js); `resetSettings()` puts the environment's values back.

import {
  SANDBOX_API_BASE_URL,
  SANDBOX_CLIENT_ID,
  SANDBOX_FENERGO_CLIENT_ID,
  SANDBOX_FENERGO_SECRET,
  SANDBOX_FENRIS_CLIENT_ID,
  SANDBOX_FENRIS_SECRET,
  SANDBOX_INTROSPECTION_CLIENT_ID,
  SANDBOX_ISSUER,
  SANDBOX_M2M_BASE_URL,
  SANDBOX_TENANT_ID,
} from '../src/lib/base/sandbox.js';

const HOST = new URL(SANDBOX_ISSUER).hostname;
const portOf = (url) => Number(new URL(url).port);

function readInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a whole number of seconds (or requests) above 0, got "${raw}"`);
  }
  return value;
}

function readSwitch(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== '0' && raw !== '1') throw new Error(`${name} must be 0 or 1, got "${raw}"`);
  return Number(raw);
}

function readOrigins(name, fallback) {
  const raw = process.env[name] || fallback;
  return raw
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean)
    .map((value) => {
      const url = new URL(value);
      if (url.origin !== value.replace(/\/$/, '')) {
        throw new Error(`${name}: "${value}" must be an origin such as http://127.0.0.1:5173`);
      }
      return url.origin;
    });
}

const issuerPort = readInt('SANDBOX_ISSUER_PORT', portOf(SANDBOX_ISSUER));
const apiPort = readInt('SANDBOX_API_PORT', portOf(SANDBOX_API_BASE_URL));
const m2mPort = readInt('SANDBOX_M2M_PORT', portOf(SANDBOX_M2M_BASE_URL));

export const SETTINGS = Object.freeze({
  host: HOST,
  issuerPort,
  apiPort,
  issuer: `http://${HOST}:${issuerPort}`,
  apiBaseUrl: `http://${HOST}:${apiPort}`,
  m2mPort,
  m2mBaseUrl: `http://${HOST}:${m2mPort}`,
  // The confidential machine-to-machine clients. Their secrets are sandbox-only defaults; tests set
  // their own through the environment so they can search for them.
  m2mClients: Object.freeze({
    fenergo: {
      clientId: process.env.SANDBOX_FENERGO_CLIENT_ID || SANDBOX_FENERGO_CLIENT_ID,
      secret: process.env.SANDBOX_FENERGO_SECRET || SANDBOX_FENERGO_SECRET,
      authMethod: 'client_secret_post',
      ttl: 900,
    },
    fenris: {
      clientId: process.env.SANDBOX_FENRIS_CLIENT_ID || SANDBOX_FENRIS_CLIENT_ID,
      secret: process.env.SANDBOX_FENRIS_SECRET || SANDBOX_FENRIS_SECRET,
      authMethod: 'client_secret_basic',
      ttl: 24 * 60 * 60,
    },
  }),
  // A confidential client that may introspect any token (RFC 7662): Fieldpass's partner route uses
  // it to check opaque access tokens, and so does the sandbox's own Fentu API.
  introspectionClient: Object.freeze({
    clientId: process.env.SANDBOX_INTROSPECTION_CLIENT_ID || SANDBOX_INTROSPECTION_CLIENT_ID,
    secret: process.env.SANDBOX_INTROSPECTION_SECRET || 'sandbox-introspection-secret',
  }),
  tenantId: process.env.SANDBOX_TENANT_ID || SANDBOX_TENANT_ID,
  appOrigins: readOrigins('SANDBOX_APP_ORIGINS', 'http://127.0.0.1:5173,http://localhost:5173'),
  clientId: process.env.SANDBOX_CLIENT_ID || SANDBOX_CLIENT_ID,
  // A public client whose tokens are plain bearer tokens, as at servers without DPoP: for the
  // inspector against a server whose endpoints are entered by hand (no metadata says it takes DPoP).
  bearerClientId: process.env.SANDBOX_BEARER_CLIENT_ID || 'fieldpass-bearer',
  defaults: Object.freeze({
    accessTokenTtl: readInt('SANDBOX_ACCESS_TOKEN_TTL', 60 * 60),
    refreshTokenTtl: readInt('SANDBOX_REFRESH_TOKEN_TTL', 30 * 24 * 60 * 60),
    rateLimit: readInt('SANDBOX_RATE_LIMIT', 1000),
    rateLimitWindow: readInt('SANDBOX_RATE_LIMIT_WINDOW', 60 * 60),
    // 0 means each client's own lifetime (Fenergo 900 s, Fenris 24 h); tests shorten it.
    m2mTokenTtl: 0,
    // How many of the next M2M API calls answer 401, to show the route re-fetching its token.
    m2mFail401: 0,
    // Seconds during which a refresh token just rotated is still accepted and answered with the
    // same new tokens, as servers with a reuse grace window do; 0 (the default) is strict reuse
    // detection: the old token then revokes the whole grant.
    refreshGrace: process.env.SANDBOX_REFRESH_GRACE ? readInt('SANDBOX_REFRESH_GRACE', 0) : 0,
    // 1: discovery advertises pushed authorization requests; 0 hides them (the endpoint still answers).
    pushedAuthorizationRequests: readSwitch('SANDBOX_PAR', 1),
    // 1: access tokens for the Fentu API are opaque, checked by introspection; 0 (the default): JWTs.
    // Tokens issued before a change keep their format.
    opaqueAccessTokens: readSwitch('SANDBOX_OPAQUE_ACCESS_TOKENS', 0),
    // 1: a redirect_uri not registered for the client is refused as several servers word it,
    // invalid_request "redirect_uri is not registered for this client"; 0 (the default):
    // oidc-provider's own invalid_redirect_uri. Either way on the server's error page, not by redirect.
    redirectUriAsInvalidRequest: readSwitch('SANDBOX_REDIRECT_URI_AS_INVALID_REQUEST', 0),
    // 1: every client-credentials token request is refused as if its secret were wrong
    // (401 invalid_client), for the route's refused-credentials path; 0 (the default): checked as sent.
    refuseClientCredentials: readSwitch('SANDBOX_REFUSE_CLIENT_CREDENTIALS', 0),
    // 1: the discovery documents are served; 0: they answer 404, as at a server without discovery.
    discovery: readSwitch('SANDBOX_DISCOVERY', 1),
    // 1: authorization responses carry iss and discovery promises it (RFC 9207); 0: neither.
    issInResponses: readSwitch('SANDBOX_ISS_IN_RESPONSES', 1),
    // 1: the issuer answers the app's origins with CORS headers; 0: it answers without any, as a
    // server that has not allowed the app's origin does.
    cors: readSwitch('SANDBOX_CORS', 1),
  }),
});

/** The values in force now: the environment's, unless a test changed them through the admin API. */
export const current = { ...SETTINGS.defaults };

export function updateSettings(changes) {
  for (const [key, value] of Object.entries(changes)) {
    if (!(key in SETTINGS.defaults)) throw new Error(`unknown setting "${key}"`);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${key} must be a whole number, 0 or more`);
    current[key] = value;
  }
}

export function resetSettings() {
  Object.assign(current, SETTINGS.defaults);
}

/** The demo account shown on the sandbox login page. */
export const DEMO_ACCOUNT = Object.freeze({
  accountId: 'tech-0042',
  email: 'sam.okafor@fentu.example',
  password: 'fieldpass',
  name: 'Sam Okafor',
  given_name: 'Sam',
  family_name: 'Okafor',
});

/** A second technician, for a tablet two people share (one signs in after the other's session ended). */
export const SECOND_ACCOUNT = Object.freeze({
  accountId: 'tech-0077',
  email: 'ana.reyes@fentu.example',
  password: 'fieldpass',
  name: 'Ana Reyes',
  given_name: 'Ana',
  family_name: 'Reyes',
});

/** Every account the sandbox's login page accepts. */
export const ACCOUNTS = Object.freeze([DEMO_ACCOUNT, SECOND_ACCOUNT]);

/** The Fentu FSM scope table (fentu-fsm-authentication.txt), in the order the document gives. */
export const FENTU_SCOPES = Object.freeze({
  'read:work-orders': 'View work orders',
  'write:work-orders': 'Create/update work orders',
  'read:customers': 'View customers',
  'write:customers': 'Create/update customers',
  'read:assets': 'View assets',
  'write:assets': 'Create/update assets',
  admin: 'Full administrative access',
});

// The Fentu FSM authorization server stand-in: node-oidc-provider configured as the Fentu docs
// describe (scopes, 1 h access tokens, 30 day refresh tokens), with PKCE S256 required, refresh-token
// rotation and reuse detection, revocation, RFC 9207 `iss`, pushed authorization requests
// (RFC 9126), JWT access tokens for the Fentu API (opaque ones, with introspection, when the
// `opaqueAccessTokens` setting is 1), and CORS for the app's origins. Settings turn discovery,
// `iss` in responses and CORS off, to stand in for servers without them.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';
import { readBody } from './http.js';
import { MemoryAdapter } from './memory-adapter.js';
import { useSandboxSwitches } from './provider-switches.js';
import { consentPage, errorPage, loginPage, oauthErrorPage } from './pages.js';
import { ACCOUNTS, DEMO_ACCOUNT, FENTU_SCOPES, SETTINGS, current } from './settings.js';
import { bump, stats } from './stats.js';

const IDENTITY_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...ec, kid: `es256-${randomUUID().slice(0, 8)}`, alg: 'ES256', use: 'sig' },
    { ...rsa, kid: `rs256-${randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' },
  ];
}

function findAccount(_ctx, id) {
  const account = ACCOUNTS.find((a) => a.accountId === id);
  if (!account) return undefined;
  return {
    accountId: id,
    claims: () => ({
      sub: id,
      name: account.name,
      given_name: account.given_name,
      family_name: account.family_name,
      email: account.email,
      email_verified: true,
    }),
  };
}

/** Scopes the sandbox's machine-to-machine API knows: a few from the Fenergo catalog and the tenant scope. */
export const M2M_SCOPES = ['fenx.entitydata.read', 'fenx.journey.read', 'fenx.all', `tenant/${SETTINGS.tenantId}`];

const m2mClientIds = new Set(Object.values(SETTINGS.m2mClients).map((c) => c.clientId));

function fentuApiInfo() {
  return {
    scope: Object.keys(FENTU_SCOPES).join(' '),
    audience: SETTINGS.apiBaseUrl,
    accessTokenTTL: current.accessTokenTtl,
    ...(current.opaqueAccessTokens
      ? { accessTokenFormat: 'opaque' }
      : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
  };
}

/**
 * Who may introspect a token (RFC 7662 §4): the introspection client any token; any other client
 * only its own (the inspector introspects the app's tokens as the app).
 */
function introspectionAllowed(_ctx, client, token) {
  return client.clientId === SETTINGS.introspectionClient.clientId || client.clientId === token.clientId;
}

/**
 * The clients the sandbox knows: the app (with DPoP, and as a bearer-token client), the
 * machine-to-machine clients and the introspection client.
 */
function sandboxClients() {
  // The app's own callback, and the developer inspector's.
  const redirectUris = SETTINGS.appOrigins.flatMap((origin) => [`${origin}/callback`, `${origin}/inspect/callback`]);
  const app = () => ({
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    scope: [...IDENTITY_SCOPES, ...Object.keys(FENTU_SCOPES)].join(' '),
    response_types: ['code'],
    redirect_uris: redirectUris,
  });
  return [
    {
      client_id: SETTINGS.clientId,
      client_name: 'Fieldpass',
      ...app(),
      // Every token the app gets is bound to its DPoP key (RFC 9449): a copy alone is useless.
      dpop_bound_access_tokens: true,
    },
    // The same app as a client of a server without DPoP: its tokens are bearer tokens.
    { client_id: SETTINGS.bearerClientId, client_name: 'Fieldpass (bearer tokens)', ...app() },
    // Confidential machine-to-machine clients: Fenergo sends its secret in the form body,
    // Fenris in an HTTP Basic header. oidc-provider refuses the other method for each.
    ...Object.values(SETTINGS.m2mClients).map((c) => ({
      client_id: c.clientId,
      client_secret: c.secret,
      token_endpoint_auth_method: c.authMethod,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: c.authMethod === 'client_secret_post' ? M2M_SCOPES.join(' ') : undefined,
    })),
    // Introspects tokens, nothing else: it has no grant type.
    {
      client_id: SETTINGS.introspectionClient.clientId,
      client_secret: SETTINGS.introspectionClient.secret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ];
}

/** The resource servers (RFC 8707): the app's users get tokens for the Fentu API; the M2M clients for the M2M API. */
function resourceIndicators() {
  return {
    enabled: true,
    defaultResource: (ctx) => (m2mClientIds.has(ctx.oidc.client?.clientId) ? SETTINGS.m2mBaseUrl : SETTINGS.apiBaseUrl),
    useGrantedResource: () => true,
    getResourceServerInfo: (ctx, resourceIndicator, client) => {
      if (resourceIndicator === SETTINGS.apiBaseUrl) return fentuApiInfo();
      if (resourceIndicator === SETTINGS.m2mBaseUrl && m2mClientIds.has(client.clientId)) {
        const own = Object.values(SETTINGS.m2mClients).find((c) => c.clientId === client.clientId);
        return {
          scope: M2M_SCOPES.join(' '),
          audience: SETTINGS.m2mBaseUrl,
          accessTokenTTL: current.m2mTokenTtl || own.ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      }
      throw new Provider.errors.InvalidTarget(`unknown resource ${resourceIndicator}`);
    },
  };
}

function features() {
  return {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true, allowedPolicy: introspectionAllowed },
    userinfo: { enabled: true },
    clientCredentials: { enabled: true },
    // DPoP with server nonces on every proof (RFC 9449 §8), so clients must handle use_dpop_nonce.
    dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    // Pushed authorization requests (RFC 9126): advertised in discovery (unless SANDBOX_PAR=0 or
    // a test hides them, see provider-switches.js), optional, and answered with CORS for the
    // app's origins by clientBasedCORS below, DPoP header and nonce included, as the token
    // endpoint is. A DPoP proof on the push needs a server nonce, as every proof here does. A
    // request_uri lives 60 seconds.
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
    resourceIndicators: resourceIndicators(),
  };
}

/** Token and session lifetimes, in seconds; the settings' ones are read at each issue. */
function lifetimes() {
  return {
    AccessToken: () => current.accessTokenTtl,
    ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
    AuthorizationCode: 60,
    IdToken: 60 * 60,
    Interaction: 60 * 60,
    Session: () => current.refreshTokenTtl,
    Grant: () => current.refreshTokenTtl,
    // A rotated refresh token keeps the first one's expiry, so rotation never extends a session.
    RefreshToken: (ctx) => ctx?.oidc?.entities?.RotatedRefreshToken?.remainingTTL ?? current.refreshTokenTtl,
  };
}

/** oidc-provider's configuration: Fentu's clients, scopes, routes, features, token rules and lifetimes. */
function providerConfiguration() {
  const allowedOrigins = new Set(SETTINGS.appOrigins);
  return {
    adapter: MemoryAdapter,
    findAccount,
    jwks: { keys: signingKeys() },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: sandboxClients(),
    scopes: [...IDENTITY_SCOPES, ...Object.keys(FENTU_SCOPES), ...M2M_SCOPES],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
    },
    pkce: { required: () => true },
    routes: {
      authorization: '/authorize',
      token: '/token',
      revocation: '/revoke',
      introspection: '/introspect',
      jwks: '/jwks',
      userinfo: '/userinfo',
      end_session: '/logout',
    },
    features: features(),
    // Stock oidc-provider issues refresh tokens only with `offline_access` and `prompt=consent`;
    // Fentu issues one with every grant to a client allowed the refresh_token grant.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    loadExistingGrant,
    // Rotate on every use: a used refresh token is rejected, and presenting it again revokes the grant.
    rotateRefreshToken: () => true,
    // Tokens outlive the sandbox's login session, as a mobile or tablet user expects.
    expiresWithSession: () => false,
    ttl: lifetimes(),
    clientBasedCORS: (_ctx, origin) => allowedOrigins.has(origin),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = oauthErrorPage(asOtherServersWordIt(out));
    },
  };
}

export function createProvider() {
  const provider = new Provider(SETTINGS.issuer, providerConfiguration());
  useSandboxSwitches(provider);
  provider.on('grant.revoked', () => bump(stats, 'grantsRevoked'));
  // oidc-provider keeps the reason out of the response body, in the error's `error_detail`.
  provider.on('grant.error', (_ctx, err) => {
    if (err.error_detail === 'refresh token already used') bump(stats.token.refresh, 'reuseDetected');
  });
  return provider;
}

/**
 * The error the authorization endpoint renders, worded as several other servers word it while the
 * `redirectUriAsInvalidRequest` setting is 1: a redirect_uri not registered for the client comes as
 * invalid_request, not oidc-provider's own invalid_redirect_uri.
 */
function asOtherServersWordIt(out) {
  if (out.error !== 'invalid_redirect_uri' || !current.redirectUriAsInvalidRequest) return out;
  return { ...out, error: 'invalid_request', error_description: 'redirect_uri is not registered for this client' };
}

async function readForm(req) {
  return new URLSearchParams(await readBody(req, 16_384));
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'",
  });
  res.end(html);
}

/** Handles /interaction/:uid[/action]: the login and consent pages and their form posts. */
export async function handleInteraction(provider, req, res) {
  const [, , uid, action] = new URL(req.url, SETTINGS.issuer).pathname.split('/');
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return sendHtml(res, 400, errorPage('This sign-in page has expired. Go back to the app and choose Sign in again.'));
  }
  if (details.uid !== uid) return sendHtml(res, 400, errorPage('This sign-in page does not match your session.'));
  const client = await provider.Client.find(details.params.client_id);
  const clientName = client?.clientName ?? details.params.client_id;

  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') return sendHtml(res, 200, loginPage({ uid, clientName }));
    const scopes = String(details.params.scope ?? '')
      .split(' ')
      .filter(Boolean);
    const email = ACCOUNTS.find((a) => a.accountId === details.session?.accountId)?.email ?? '';
    return sendHtml(res, 200, consentPage({ uid, clientName, scopes, email }));
  }
  if (req.method !== 'POST') return sendHtml(res, 405, errorPage('Use the buttons on the page.'));

  const form = await readForm(req);
  if (action === 'abort') {
    bump(stats.authorization, 'denied');
    return provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user declined to grant access.' },
      { mergeWithLastSubmission: false },
    );
  }
  if (action === 'login') {
    const email = form.get('email') ?? '';
    const account = ACCOUNTS.find((a) => a.email === email.toLowerCase() && a.password === form.get('password'));
    if (!account) {
      return sendHtml(
        res,
        200,
        loginPage({ uid, clientName, email, error: 'That email and password do not match a demo account.' }),
      );
    }
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.accountId } },
      { mergeWithLastSubmission: false },
    );
  }
  if (action === 'confirm') {
    const chosen = new Set(form.getAll('scope'));
    const grantId = await saveGrant(provider, details, chosen);
    bump(stats.authorization, 'approved');
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  return sendHtml(res, 404, errorPage('Unknown step.'));
}

/** Grants what the user ticked and records the rest as refused, so the server grants fewer scopes. */
async function saveGrant(provider, details, chosen) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  // Earlier refusals were asked about again (see loadExistingGrant); this answer replaces them.
  delete grant.rejected;
  const missingOidc = prompt.details.missingOIDCScope ?? [];
  const granted = missingOidc.filter((scope) => chosen.has(scope) || scope === 'openid');
  if (granted.length) grant.addOIDCScope(granted.join(' '));
  const rejected = missingOidc.filter((scope) => !granted.includes(scope));
  if (rejected.length) grant.rejectOIDCScope(rejected.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    const yes = scopes.filter((scope) => chosen.has(scope));
    const no = scopes.filter((scope) => !chosen.has(scope));
    if (yes.length) grant.addResourceScope(resource, yes.join(' '));
    if (no.length) grant.rejectResourceScope(resource, no.join(' '));
  }
  return grant.save();
}

/**
 * The grant an authorization request starts from. oidc-provider never asks again about a scope
 * the user once refused; Fentu asks again whenever an app requests it (incremental consent), so
 * a new request forgets earlier refusals. Right after the consent page they still count.
 */
async function loadExistingGrant(ctx) {
  const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
  if (!grantId) return undefined;
  const grant = await ctx.oidc.provider.Grant.find(grantId);
  if (grant && !ctx.oidc.result?.consent) delete grant.rejected;
  return grant;
}

/**
 * Issues a Fentu API access token for a sandbox account (the demo one unless told) without a
 * browser, for the benchmark and the server-route tests: the same kind of token the
 * authorization-code flow gives the app.
 */
export async function mintUserAccessToken(provider, scope, account = DEMO_ACCOUNT) {
  const client = await provider.Client.find(SETTINGS.clientId);
  const grant = new provider.Grant({ accountId: account.accountId, clientId: client.clientId });
  grant.addResourceScope(SETTINGS.apiBaseUrl, scope);
  const grantId = await grant.save();
  const token = new provider.AccessToken({
    accountId: account.accountId,
    client,
    grantId,
    gty: 'authorization_code',
    scope,
    resourceServer: new provider.ResourceServer(SETTINGS.apiBaseUrl, fentuApiInfo()),
  });
  return token.save();
}

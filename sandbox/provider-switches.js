// The sandbox's switches on the authorization server, as Koa middleware in front of
// oidc-provider: settings that make it stand in for servers without CORS, discovery, PAR or RFC
// 9207 `iss`, or that refuse client credentials, and the request counts the tests read.

import { current, SETTINGS } from './settings.js';
import { bump, stats } from './stats.js';

/** Puts the switches and the request counts in front of the provider's own routes. */
export function useSandboxSwitches(provider) {
  // The sandbox runs on loopback http; oidc-provider needs no proxy settings for that.
  provider.use(withoutCors);
  provider.use(refuseClientCredentials);
  provider.use(withoutDiscovery);
  provider.use(countRequests);
  provider.use(hidePushedAuthorization);
  provider.use(withoutIss);
}

/**
 * Koa middleware: while the `refuseClientCredentials` setting is 1, the secret of every
 * client-credentials token request is swapped for a wrong one before oidc-provider checks it, so
 * the sandbox refuses the client as it refuses a wrong secret (401 invalid_client).
 */
async function refuseClientCredentials(ctx, next) {
  if (current.refuseClientCredentials && ctx.method === 'POST' && typeof ctx.req.body === 'string') {
    const form = new URLSearchParams(ctx.req.body);
    if (form.get('grant_type') === 'client_credentials') {
      const wrong = 'not-the-registered-secret';
      if (form.has('client_secret')) {
        form.set('client_secret', wrong);
        ctx.req.body = form.toString();
      }
      const basic = /^basic\s+(\S+)/i.exec(ctx.req.headers.authorization ?? '');
      if (basic) {
        const id = Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0];
        ctx.req.headers.authorization = `Basic ${Buffer.from(`${id}:${wrong}`).toString('base64')}`;
      }
    }
  }
  return next();
}

/**
 * Koa middleware: a discovery document without PAR while the `pushedAuthorizationRequests`
 * setting is 0, so tests can show the app in front of a server that does not offer it.
 */
async function hidePushedAuthorization(ctx, next) {
  await next();
  if (ctx.oidc?.route !== 'discovery' || current.pushedAuthorizationRequests) return;
  delete ctx.body.pushed_authorization_request_endpoint;
  delete ctx.body.require_pushed_authorization_requests;
}

const DISCOVERY_PATHS = new Set(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']);

/** Koa middleware: while the `discovery` setting is 0, the discovery documents answer 404. */
async function withoutDiscovery(ctx, next) {
  if (current.discovery || !DISCOVERY_PATHS.has(ctx.path)) return next();
  ctx.status = 404;
  // Readable by any page, as the documents themselves are: a 404, not a CORS failure.
  ctx.set('access-control-allow-origin', '*');
  ctx.body = { error: 'not_found', error_description: 'this server offers no discovery document' };
}

/**
 * Koa middleware: while the `issInResponses` setting is 0, authorization responses carry no `iss`
 * and discovery does not promise it, as at a server without RFC 9207 (oidc-provider always sends it).
 */
async function withoutIss(ctx, next) {
  await next();
  if (current.issInResponses) return;
  if (ctx.oidc?.route === 'discovery') {
    delete ctx.body.authorization_response_iss_parameter_supported;
    return;
  }
  const location = ctx.response.get('location');
  if (!location) return;
  const url = new URL(location, SETTINGS.issuer);
  if (url.origin === SETTINGS.issuer || !url.searchParams.has('iss') || !url.searchParams.has('state')) return;
  url.searchParams.delete('iss');
  ctx.set('location', url.href);
}

/**
 * Koa middleware: while the `cors` setting is 0, no answer carries CORS headers (preflights
 * included), so a browser keeps every answer from the app's pages although the server answered.
 */
async function withoutCors(ctx, next) {
  await next();
  if (current.cors) return;
  for (const name of Object.keys(ctx.response.headers)) {
    if (name.startsWith('access-control-')) ctx.remove(name);
  }
}

/** Koa middleware: counts authorization, pushed, token and revocation requests and their outcomes. */
async function countRequests(ctx, next) {
  await next();
  const route = ctx.oidc?.route;
  if (route === 'authorization') bump(stats.authorization, 'requests');
  if (route === 'pushed_authorization_request') {
    const error = ctx.status >= 400 ? (ctx.body?.error ?? String(ctx.status)) : undefined;
    // As at the token endpoint, a DPoP nonce challenge only asks for a new proof: not a push.
    if (error === 'use_dpop_nonce') return bump(stats.pushedAuthorization, 'nonceChallenges');
    bump(stats.pushedAuthorization, 'requests');
    if (error) bump(stats.pushedAuthorization.errors, error);
  }
  if (route === 'introspection') {
    bump(stats.introspection, 'requests');
    bump(stats.introspection.byClient, ctx.oidc.client?.clientId ?? 'unauthenticated');
    if (ctx.status >= 400) bump(stats.introspection.errors, ctx.body?.error ?? String(ctx.status));
    else bump(stats.introspection, ctx.body?.active ? 'active' : 'inactive');
  }
  if (route === 'revocation') {
    bump(stats.revocation, 'requests');
    bump(stats.revocation.byHint, ctx.oidc.params?.token_type_hint ?? 'none');
  }
  if (route !== 'token') return;
  const grantType = ctx.oidc.params?.grant_type ?? 'unknown';
  bump(stats.token, 'requests');
  const error = ctx.status >= 400 ? ctx.body?.error : undefined;
  if (error) bump(stats.token.errors, error);
  // A DPoP nonce challenge only asks for a new proof: it is not counted as an attempt at the grant.
  if (error === 'use_dpop_nonce') return bump(stats.token, 'nonceChallenges');
  bump(stats.token.byGrantType, grantType);
  if (grantType === 'client_credentials') {
    const clientId = ctx.oidc.client?.clientId ?? 'unknown';
    bump(stats.clientCredentials.byClient, clientId);
    // What arrived on the wire, for tests of the client authentication method (sandbox only).
    stats.clientCredentials.lastRequest[clientId] = {
      authorization: ctx.headers.authorization ?? null,
      contentType: ctx.headers['content-type'] ?? null,
      body: typeof ctx.req.body === 'string' ? ctx.req.body : null,
      status: ctx.status,
    };
    // Tests search everything the browser received for the service tokens, so they need them.
    if (ctx.body?.access_token)
      stats.clientCredentials.issued[clientId] = [
        ...(stats.clientCredentials.issued[clientId] ?? []),
        ctx.body.access_token,
      ].slice(-20);
  }
  if (grantType === 'refresh_token') {
    if (!error) {
      bump(stats.token.refresh, 'succeeded');
      stats.token.refreshTimes = [...stats.token.refreshTimes, Date.now()].slice(-500);
    } else bump(stats.token.refresh, 'rejected');
  }
}

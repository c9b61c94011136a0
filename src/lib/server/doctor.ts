import * as oauth from 'oauth4webapi';
import { DPOP_ALG } from '../oauth/dpop.js';
import { httpOptions, type FetchLike } from '../base/http.js';
import type { IntrospectionClient } from './caller-config.js';
import { M2mError, requestClientCredentials, type M2mClient } from './m2m.js';
import { configProblems, readSettings, type Environment, type Settings, type SharedStateSettings } from './settings.js';
import { createRedisState } from './shared-state.js';

// What a browser (and the server) will meet at the configured authorization server, API and
// partner providers, asked of the servers themselves: `npm run doctor`, and once at start-up.
// Each finding says ok, warning or problem, and what to change. Secrets are never printed.

export type FindingLevel = 'ok' | 'warning' | 'problem';

/** One line of the report. */
export interface Finding {
  level: FindingLevel;
  /** What was checked: "discovery", "CORS on the token endpoint", "provider fenergo", … */
  subject: string;
  /** What was found, and for a warning or a problem, what to change. */
  text: string;
}

export interface DoctorOptions {
  /** Where users open the app: the origin CORS must allow and the redirect URI must share. */
  appOrigin: string;
  fetch?: FetchLike;
  /** How long one request may take. */
  timeoutMs?: number;
  /**
   * The server's own client-credentials client. Given (at start-up), each provider is checked
   * through its token cache: a token another instance already holds is the answer, and a new one
   * is requested once for all instances, not once per instance start.
   */
  m2m?: Pick<M2mClient, 'tokenStatus'>;
}

/** The headers the app's own requests carry beyond the CORS-safelisted ones, per endpoint. */
const TOKEN_HEADERS = ['dpop'];
const API_HEADERS = ['authorization', 'dpop', 'content-type', 'idempotency-key'];

function describe(err: unknown): string {
  const name = (err as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'no answer in time';
  if (err instanceof oauth.ResponseBodyError) return `HTTP ${err.status}, error "${err.error}"`;
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = err.cause[0];
    return `HTTP ${err.status}, ${challenge?.scheme ?? 'a'} challenge${challenge?.parameters.error ? ` "${challenge.parameters.error}"` : ''}`;
  }
  // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a certificate error) is its cause.
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/**
 * Whether the Redis in REDIS_URL answers within `timeoutMs`. The finding names host and port only,
 * never the URL's password.
 */
export async function checkSharedState(shared: SharedStateSettings | undefined, timeoutMs = 3000): Promise<Finding> {
  const subject = 'shared state';
  if (!shared)
    return { level: 'ok', subject, text: 'REDIS_URL not set: each instance keeps its own tokens and limits' };
  const { hostname, port } = new URL(shared.url);
  const target = `${hostname}:${port || '6379'}`;
  const state = createRedisState({ ...shared, warn: () => {} });
  try {
    const deadline = Date.now() + timeoutMs;
    while (!state.health().shared && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return (await state.ping())
      ? { level: 'ok', subject, text: `Redis at ${target} answers; instances share tokens and limits through it` }
      : {
          level: 'problem',
          subject,
          text: `Redis at ${target} does not answer: check REDIS_URL (host, port, password, rediss:// for TLS); meanwhile each instance falls back to its own memory and refuses one-time keys`,
        };
  } finally {
    await state.close();
  }
}

/**
 * Checks the configuration, then asks each server what the app will meet. Never throws: a
 * failure to reach a server is a finding.
 */
export async function diagnose(env: Environment, options: DoctorOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (level: FindingLevel, subject: string, text: string) => findings.push({ level, subject, text });
  const send = options.fetch ?? fetch;
  const request = (url: string, init: { method?: string; headers?: Record<string, string>; body?: URLSearchParams }) =>
    send(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      body: init.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });

  let settings: Settings;
  try {
    settings = readSettings(env, options.appOrigin);
  } catch (err) {
    const problems = configProblems(err);
    if (!problems.length) throw err;
    for (const { variable, message } of problems) add('problem', variable, message);
    return findings;
  }
  const { client, providers } = settings;
  add('ok', 'configuration', client.sandbox ? 'valid; no PUBLIC_FENTU_* set, so the local sandbox is used' : 'valid');
  add('ok', 'inspector', `${settings.inspect.enabled ? 'on' : 'off'} (${settings.inspect.reason})`);

  const redirectOrigin = new URL(client.redirectUri).origin;
  if (redirectOrigin === options.appOrigin) {
    add('ok', 'redirect URI', `${client.redirectUri} is on the app's origin`);
  } else {
    add(
      'problem',
      'redirect URI',
      `${client.redirectUri} is not on the app's origin ${options.appOrigin}: set PUBLIC_FENTU_REDIRECT_URI to ${options.appOrigin}/callback, or ORIGIN to the address users open`,
    );
  }

  // Discovery: the document the browser reads, whose issuer must equal the setting exactly (RFC 8414 §3.3).
  let server: oauth.AuthorizationServer | undefined;
  let discoveryUrl: string | undefined;
  if (client.endpoints) {
    server = { issuer: client.issuer, ...client.endpoints };
    add('ok', 'discovery', 'not used: the endpoints are entered by hand (PUBLIC_FENTU_*_ENDPOINT)');
  } else {
    const issuer = new URL(client.issuer);
    const reasons: string[] = [];
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      try {
        const response = await oauth.discoveryRequest(issuer, {
          algorithm,
          ...httpOptions(issuer),
          signal: () => AbortSignal.timeout(options.timeoutMs ?? 10_000),
          ...(options.fetch ? { [oauth.customFetch]: options.fetch } : {}),
        });
        const advertised = await response
          .clone()
          .json()
          .then((body: { issuer?: unknown }) => body.issuer)
          .catch(() => undefined);
        if (response.ok && typeof advertised === 'string' && advertised !== client.issuer) {
          reasons.splice(
            0,
            reasons.length,
            `${response.url} says its issuer is "${advertised}", not "${client.issuer}": set PUBLIC_FENTU_ISSUER to "${advertised}" exactly`,
          );
          break;
        }
        server = await oauth.processDiscoveryResponse(issuer, response);
        discoveryUrl = response.url;
        add('ok', 'discovery', `${response.url} answered; its issuer equals PUBLIC_FENTU_ISSUER`);
        break;
      } catch (err) {
        reasons.push(`${algorithm === 'oidc' ? 'OpenID' : 'RFC 8414'} discovery: ${describe(err)}`);
        if (algorithm === 'oauth2') {
          reasons.push('check PUBLIC_FENTU_ISSUER and that this machine can reach it, or enter the endpoints by hand');
        }
      }
    }
    if (!server) {
      add('problem', 'discovery', `no usable discovery document for ${client.issuer}: ${reasons.join('; ')}`);
    }
  }

  if (server) {
    const methods = server.code_challenge_methods_supported;
    if (methods?.includes('S256')) add('ok', 'PKCE', 'S256 is supported');
    else if (methods)
      add('problem', 'PKCE', `the server offers ${methods.join(', ')} but not S256, which Fieldpass requires`);
    else add('warning', 'PKCE', 'the server does not say whether it supports S256; Fieldpass sends it anyway');

    if (server.revocation_endpoint) add('ok', 'revocation', `${server.revocation_endpoint}`);
    else
      add(
        'warning',
        'revocation',
        'no revocation endpoint: signing out cannot end the session at the server. Set PUBLIC_FENTU_REVOCATION_ENDPOINT if it has one',
      );

    const algs = server.dpop_signing_alg_values_supported;
    if (algs?.includes(DPOP_ALG)) add('ok', 'DPoP', `${DPOP_ALG} proofs are accepted; tokens are bound to the device`);
    else
      add(
        'warning',
        'DPoP',
        algs
          ? `the server accepts ${algs.join(', ')} but not ${DPOP_ALG}: tokens will be plain bearer tokens`
          : `the server does not advertise DPoP: tokens will be plain bearer tokens`,
      );

    // Pushed authorization requests (RFC 9126): with PUBLIC_FENTU_PAR=auto, the browser posts the
    // sign-in request there first, so the endpoint must be one the app's CSP lets it reach.
    const par = server.pushed_authorization_request_endpoint;
    const pushes = par !== undefined && client.par === 'auto';
    if (!par) add('ok', 'PAR', 'not offered: the sign-in request goes in the address bar');
    else if (client.par === 'off' && server.require_pushed_authorization_requests)
      add('problem', 'PAR', `the server accepts pushed authorization requests only: set PUBLIC_FENTU_PAR=auto`);
    else if (client.par === 'off')
      add('ok', 'PAR', 'offered, but PUBLIC_FENTU_PAR=off: the request goes in the address bar');
    else if (![client.issuer, client.apiBaseUrl].some((url) => new URL(url).origin === new URL(par).origin))
      add(
        'problem',
        'PAR',
        `${par} is not on the issuer's origin, which the app's Content-Security-Policy does not let the browser reach: set PUBLIC_FENTU_PAR=off`,
      );
    else add('ok', 'PAR', `the sign-in request is pushed to ${par}`);

    const allowAt = async (label: string, url: string, init: Parameters<typeof request>[1], headers: string[]) => {
      try {
        const response = await request(url, init);
        const allowOrigin = response.headers.get('access-control-allow-origin');
        const allowHeaders = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
        const missing = headers.filter((name) => allowHeaders !== '*' && !allowHeaders.split(/\s*,\s*/).includes(name));
        if (allowOrigin !== options.appOrigin && allowOrigin !== '*') {
          add(
            'problem',
            `CORS on ${label}`,
            `${url} does not allow ${options.appOrigin} (Access-Control-Allow-Origin: ${allowOrigin ?? 'absent'}): register this origin for CORS at the server, or set ORIGIN if users open another address`,
          );
        } else if (missing.length) {
          add(
            'problem',
            `CORS on ${label}`,
            `${url} allows ${options.appOrigin} but not the request headers ${missing.join(', ')}: allow them at the server`,
          );
        } else add('ok', `CORS on ${label}`, `${url} allows ${options.appOrigin}`);
      } catch (err) {
        add('problem', `CORS on ${label}`, `${url} could not be reached: ${describe(err)}`);
      }
    };
    const origin = { origin: options.appOrigin };
    const preflight = (headers: string[]) => ({
      method: 'OPTIONS',
      headers: {
        ...origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': headers.join(','),
      },
    });
    if (discoveryUrl) await allowAt('discovery', discoveryUrl, { headers: origin }, []);
    if (server.token_endpoint) {
      await allowAt('the token endpoint (preflight)', server.token_endpoint, preflight(TOKEN_HEADERS), TOKEN_HEADERS);
      // Some servers (oidc-provider among them) allow any origin's preflight and decide per client on
      // the request itself: a refresh with a made-up token is refused, and shows that decision.
      const body = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'fieldpass-doctor-check',
        client_id: client.clientId,
      });
      await allowAt(
        'the token endpoint (answer)',
        server.token_endpoint,
        { method: 'POST', headers: origin, body },
        [],
      );
    }
    if (server.revocation_endpoint) {
      // A revocation request is a simple request (no preflight): its answer must allow the origin.
      // An unknown token is answered 200 and changes nothing (RFC 7009 §2.2).
      const body = new URLSearchParams({ token: 'fieldpass-doctor-check', client_id: client.clientId });
      await allowAt(
        'the revocation endpoint',
        server.revocation_endpoint,
        { method: 'POST', headers: origin, body },
        [],
      );
    }
    if (pushes) {
      await allowAt('the PAR endpoint (preflight)', par, preflight(TOKEN_HEADERS), TOKEN_HEADERS);
      // A push with nothing but the client is refused and creates nothing; the refusal shows
      // whether the server allows this origin for the client, as at the token endpoint.
      const body = new URLSearchParams({ client_id: client.clientId });
      await allowAt('the PAR endpoint (answer)', par, { method: 'POST', headers: origin, body }, []);
    }
    await allowAt('the Fentu API', `${client.apiBaseUrl}/`, preflight(API_HEADERS), API_HEADERS);
  }

  if (settings.caller.introspection) {
    const found = await checkIntrospection(settings.caller.introspection, server, client.issuer, {
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
    });
    add(found.level, 'token introspection', found.text);
  }
  findings.push(await checkSharedState(settings.sharedState));

  for (const provider of providers) {
    const subject = `provider ${provider.name}`;
    const prefix = `M2M_${provider.name.toUpperCase().replace(/-/g, '_')}_`;
    if (provider.auth.mode === 'api_key') {
      add(
        'ok',
        subject,
        `API key set (sent as ${provider.auth.header}); not tried, as no call is safe to make blindly`,
      );
      continue;
    }
    try {
      if (options.m2m) {
        const status = await options.m2m.tokenStatus(provider.name);
        add('ok', subject, status.fromCache ? 'a token is in the cache' : 'a token was issued');
        continue;
      }
      const grant = await requestClientCredentials(provider.auth, options.fetch);
      const tokens = await grant.process();
      const lifetime = typeof tokens.expires_in === 'number' ? `expires_in ${tokens.expires_in} s` : 'no expires_in';
      add('ok', subject, `a token was issued (${lifetime})`);
    } catch (err) {
      const refused =
        (err instanceof M2mError && err.code === 'upstream_auth_failed') ||
        ((err instanceof oauth.ResponseBodyError || err instanceof oauth.WWWAuthenticateChallengeError) &&
          (err.status === 400 || err.status === 401));
      add(
        'problem',
        subject,
        refused
          ? `${provider.auth.tokenUrl} refused the credentials (${describe(err)}): check ${prefix}CLIENT_ID, ${prefix}CLIENT_SECRET, ${prefix}AUTH_METHOD and ${prefix}SCOPE`
          : `${provider.auth.tokenUrl} gave no token (${describe(err)}): check ${prefix}TOKEN_URL`,
      );
    }
  }
  return findings;
}

const INTROSPECTION_VARIABLES =
  'FENTU_INTROSPECTION_CLIENT_ID, FENTU_INTROSPECTION_CLIENT_SECRET and FENTU_INTROSPECTION_AUTH_METHOD';

/**
 * Whether the partner route can introspect callers' tokens (RFC 7662): the endpoint answers, and
 * accepts the route's credentials. A made-up token must come back 200 `active: false`; a 401 means
 * the credentials are wrong. Nothing changes at the server.
 */
export async function checkIntrospection(
  introspection: IntrospectionClient,
  server: oauth.AuthorizationServer | undefined,
  issuer: string,
  options: { fetch?: FetchLike; timeoutMs?: number } = {},
): Promise<Omit<Finding, 'subject'>> {
  const endpoint = introspection.endpoint ?? server?.introspection_endpoint;
  if (!endpoint) {
    const why = server ? 'the discovery document lists no introspection_endpoint' : 'discovery failed';
    return {
      level: 'problem',
      text: `no endpoint to introspect callers' tokens at (${why}): set FENTU_INTROSPECTION_ENDPOINT`,
    };
  }
  const as = { issuer, introspection_endpoint: endpoint };
  const client = { client_id: introspection.clientId };
  const auth =
    introspection.authMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(introspection.clientSecret)
      : oauth.ClientSecretBasic(introspection.clientSecret);
  try {
    const response = await oauth.introspectionRequest(as, client, auth, 'fieldpass-doctor-check', {
      ...httpOptions(endpoint),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      ...(options.fetch ? { [oauth.customFetch]: options.fetch } : {}),
    });
    const answer = await oauth.processIntrospectionResponse(as, client, response);
    if (answer.active) return { level: 'problem', text: `${endpoint} says a made-up token is active` };
    return { level: 'ok', text: `${endpoint} accepts ${introspection.clientId}'s credentials` };
  } catch (err) {
    const status = (err as { status?: number }).status ?? ((err as { cause?: unknown }).cause as Response)?.status;
    const refused =
      status === 401 || status === 403 || (err instanceof oauth.ResponseBodyError && err.error === 'invalid_client');
    if (refused)
      return {
        level: 'problem',
        text: `${endpoint} refused the credentials (${describe(err)}): check ${INTROSPECTION_VARIABLES}`,
      };
    return {
      level: 'problem',
      text: `${endpoint} gave no usable answer (${describe(err)}): check FENTU_INTROSPECTION_ENDPOINT`,
    };
  }
}

/** The report as text: one aligned line per finding, then the counts. */
export function formatFindings(findings: Finding[]): string {
  const width = Math.max(...findings.map((f) => f.subject.length));
  const lines = findings.map((f) => `${f.level.padEnd(8)} ${f.subject.padEnd(width)}  ${f.text}`);
  const count = (level: FindingLevel) => findings.filter((f) => f.level === level).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(`${count('ok')} ok, ${plural(count('warning'), 'warning')}, ${plural(count('problem'), 'problem')}`);
  return lines.join('\n');
}

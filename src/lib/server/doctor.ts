import * as oauth from 'oauth4webapi';
import { DPOP_ALG } from '../oauth/dpop.js';
import { httpOptions, isTimeout, type FetchLike } from '../base/http.js';
import type { IntrospectionClient } from './caller-config.js';
import type { M2mClient } from './m2m.js';
import { M2mError } from './m2m-errors.js';
import { requestClientCredentials } from './m2m-tokens.js';
import type { M2mProvider } from './m2m-config.js';
import { configProblems, readSettings, type Environment, type Settings, type SharedStateSettings } from './settings.js';
import { createRedisState } from './shared/redis-state.js';

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
  if (isTimeout(err)) return 'no answer in time';
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

/** What the checks share: the settings, the options, and what discovery found. */
interface DoctorContext {
  settings: Settings;
  options: DoctorOptions;
  /** The authorization server's metadata, set by the discovery check when it found some. */
  server?: oauth.AuthorizationServer;
  /** Where the discovery document was read, for its CORS check. */
  discoveryUrl?: string;
}

/** One named check: the findings it adds, in report order. */
type Check = (context: DoctorContext) => Finding[] | Promise<Finding[]>;

const finding = (level: FindingLevel, subject: string, text: string): Finding => ({ level, subject, text });

const timeout = (options: { timeoutMs?: number }) => AbortSignal.timeout(options.timeoutMs ?? 10_000);

function checkConfiguration({ settings, options }: DoctorContext): Finding[] {
  const { client, inspect } = settings;
  const findings = [
    finding(
      'ok',
      'configuration',
      client.sandbox ? 'valid; no PUBLIC_FENTU_* set, so the local sandbox is used' : 'valid',
    ),
    finding('ok', 'inspector', `${inspect.enabled ? 'on' : 'off'} (${inspect.reason})`),
  ];
  const redirectOrigin = new URL(client.redirectUri).origin;
  if (redirectOrigin === options.appOrigin) {
    findings.push(finding('ok', 'redirect URI', `${client.redirectUri} is on the app's origin`));
  } else {
    findings.push(
      finding(
        'problem',
        'redirect URI',
        `${client.redirectUri} is not on the app's origin ${options.appOrigin}: set PUBLIC_FENTU_REDIRECT_URI to ${options.appOrigin}/callback, or ORIGIN to the address users open`,
      ),
    );
  }
  return findings;
}

/** One discovery request; the issuer it advertises, read before validation, to name a mismatch. */
async function requestDiscovery(issuer: URL, algorithm: 'oidc' | 'oauth2', options: DoctorOptions) {
  const response = await oauth.discoveryRequest(issuer, {
    algorithm,
    ...httpOptions(issuer),
    signal: () => timeout(options),
    ...(options.fetch ? { [oauth.customFetch]: options.fetch } : {}),
  });
  const advertised = await response
    .clone()
    .json()
    .then((body: { issuer?: unknown }) => body.issuer)
    .catch(() => undefined);
  return { response, advertised };
}

/** Discovery: the document the browser reads, whose issuer must equal the setting exactly (RFC 8414 §3.3). */
async function checkDiscovery(context: DoctorContext): Promise<Finding[]> {
  const { client } = context.settings;
  if (client.endpoints) {
    context.server = { issuer: client.issuer, ...client.endpoints };
    return [finding('ok', 'discovery', 'not used: the endpoints are entered by hand (PUBLIC_FENTU_*_ENDPOINT)')];
  }
  const issuer = new URL(client.issuer);
  const unusable = (reasons: string) =>
    finding('problem', 'discovery', `no usable discovery document for ${client.issuer}: ${reasons}`);
  const reasons: string[] = [];
  for (const algorithm of ['oidc', 'oauth2'] as const) {
    try {
      const { response, advertised } = await requestDiscovery(issuer, algorithm, context.options);
      if (response.ok && typeof advertised === 'string' && advertised !== client.issuer) {
        return [
          unusable(
            `${response.url} says its issuer is "${advertised}", not "${client.issuer}": set PUBLIC_FENTU_ISSUER to "${advertised}" exactly`,
          ),
        ];
      }
      context.server = await oauth.processDiscoveryResponse(issuer, response);
      context.discoveryUrl = response.url;
      return [finding('ok', 'discovery', `${response.url} answered; its issuer equals PUBLIC_FENTU_ISSUER`)];
    } catch (err) {
      reasons.push(`${algorithm === 'oidc' ? 'OpenID' : 'RFC 8414'} discovery: ${describe(err)}`);
      if (algorithm === 'oauth2') {
        reasons.push('check PUBLIC_FENTU_ISSUER and that this machine can reach it, or enter the endpoints by hand');
      }
    }
  }
  return [unusable(reasons.join('; '))];
}

function checkPkce(server: oauth.AuthorizationServer): Finding {
  const methods = server.code_challenge_methods_supported;
  if (methods?.includes('S256')) return finding('ok', 'PKCE', 'S256 is supported');
  if (methods)
    return finding('problem', 'PKCE', `the server offers ${methods.join(', ')} but not S256, which Fieldpass requires`);
  return finding('warning', 'PKCE', 'the server does not say whether it supports S256; Fieldpass sends it anyway');
}

function checkRevocation(server: oauth.AuthorizationServer): Finding {
  if (server.revocation_endpoint) return finding('ok', 'revocation', `${server.revocation_endpoint}`);
  return finding(
    'warning',
    'revocation',
    'no revocation endpoint: signing out cannot end the session at the server. Set PUBLIC_FENTU_REVOCATION_ENDPOINT if it has one',
  );
}

function checkDpop(server: oauth.AuthorizationServer): Finding {
  const algs = server.dpop_signing_alg_values_supported;
  if (algs?.includes(DPOP_ALG))
    return finding('ok', 'DPoP', `${DPOP_ALG} proofs are accepted; tokens are bound to the device`);
  return finding(
    'warning',
    'DPoP',
    algs
      ? `the server accepts ${algs.join(', ')} but not ${DPOP_ALG}: tokens will be plain bearer tokens`
      : `the server does not advertise DPoP: tokens will be plain bearer tokens`,
  );
}

/**
 * Pushed authorization requests (RFC 9126): with PUBLIC_FENTU_PAR=auto, the browser posts the
 * sign-in request there first, so the endpoint must be one the app's CSP lets it reach.
 */
function checkPar(server: oauth.AuthorizationServer, client: Settings['client']): Finding {
  const par = server.pushed_authorization_request_endpoint;
  if (!par) return finding('ok', 'PAR', 'not offered: the sign-in request goes in the address bar');
  if (client.par === 'off' && server.require_pushed_authorization_requests)
    return finding(
      'problem',
      'PAR',
      `the server accepts pushed authorization requests only: set PUBLIC_FENTU_PAR=auto`,
    );
  if (client.par === 'off')
    return finding('ok', 'PAR', 'offered, but PUBLIC_FENTU_PAR=off: the request goes in the address bar');
  if (![client.issuer, client.apiBaseUrl].some((url) => new URL(url).origin === new URL(par).origin))
    return finding(
      'problem',
      'PAR',
      `${par} is not on the issuer's origin, which the app's Content-Security-Policy does not let the browser reach: set PUBLIC_FENTU_PAR=off`,
    );
  return finding('ok', 'PAR', `the sign-in request is pushed to ${par}`);
}

/** What the server advertises: PKCE, revocation, DPoP and PAR. */
function checkServerFeatures({ server, settings }: DoctorContext): Finding[] {
  if (!server) return [];
  return [checkPkce(server), checkRevocation(server), checkDpop(server), checkPar(server, settings.client)];
}

interface CorsRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: URLSearchParams;
}

/** Whether the answer at `url` lets the app's origin read it, with the request headers it sends. */
async function checkCorsAt(
  options: DoctorOptions,
  label: string,
  url: string,
  init: CorsRequest,
  headers: string[],
): Promise<Finding> {
  const subject = `CORS on ${label}`;
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      body: init.body,
      redirect: 'manual',
      signal: timeout(options),
    });
    const allowOrigin = response.headers.get('access-control-allow-origin');
    const allowHeaders = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    const missing = headers.filter((name) => allowHeaders !== '*' && !allowHeaders.split(/\s*,\s*/).includes(name));
    if (allowOrigin !== options.appOrigin && allowOrigin !== '*') {
      return finding(
        'problem',
        subject,
        `${url} does not allow ${options.appOrigin} (Access-Control-Allow-Origin: ${allowOrigin ?? 'absent'}): register this origin for CORS at the server, or set ORIGIN if users open another address`,
      );
    }
    if (missing.length) {
      return finding(
        'problem',
        subject,
        `${url} allows ${options.appOrigin} but not the request headers ${missing.join(', ')}: allow them at the server`,
      );
    }
    return finding('ok', subject, `${url} allows ${options.appOrigin}`);
  } catch (err) {
    return finding('problem', subject, `${url} could not be reached: ${describe(err)}`);
  }
}

/** The CORS requests to make, in report order: each endpoint the browser calls, as the browser calls it. */
function corsProbes({
  server,
  discoveryUrl,
  settings,
  options,
}: DoctorContext & { server: oauth.AuthorizationServer }) {
  const { client } = settings;
  const origin = { origin: options.appOrigin };
  const preflight = (headers: string[]): CorsRequest => ({
    method: 'OPTIONS',
    headers: {
      ...origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': headers.join(','),
    },
  });
  const post = (fields: Record<string, string>): CorsRequest => ({
    method: 'POST',
    headers: origin,
    body: new URLSearchParams(fields),
  });
  const pushed = client.par === 'auto' ? server.pushed_authorization_request_endpoint : undefined;
  const probes: [label: string, url: string | undefined, init: CorsRequest, headers: string[]][] = [
    ['discovery', discoveryUrl || undefined, { headers: origin }, []],
    ['the token endpoint (preflight)', server.token_endpoint || undefined, preflight(TOKEN_HEADERS), TOKEN_HEADERS],
    // Some servers (oidc-provider among them) allow any origin's preflight and decide per client on
    // the request itself: a refresh with a made-up token is refused, and shows that decision.
    [
      'the token endpoint (answer)',
      server.token_endpoint || undefined,
      post({ grant_type: 'refresh_token', refresh_token: 'fieldpass-doctor-check', client_id: client.clientId }),
      [],
    ],
    // A revocation request is a simple request (no preflight): its answer must allow the origin.
    // An unknown token is answered 200 and changes nothing (RFC 7009 §2.2).
    [
      'the revocation endpoint',
      server.revocation_endpoint || undefined,
      post({ token: 'fieldpass-doctor-check', client_id: client.clientId }),
      [],
    ],
    ['the PAR endpoint (preflight)', pushed, preflight(TOKEN_HEADERS), TOKEN_HEADERS],
    // A push with nothing but the client is refused and creates nothing; the refusal shows
    // whether the server allows this origin for the client, as at the token endpoint.
    ['the PAR endpoint (answer)', pushed, post({ client_id: client.clientId }), []],
    ['the Fentu API', `${client.apiBaseUrl}/`, preflight(API_HEADERS), API_HEADERS],
  ];
  return probes.filter((probe): probe is [string, string, CorsRequest, string[]] => probe[1] !== undefined);
}

/** CORS at every endpoint the browser calls, one request after another. */
async function checkCors(context: DoctorContext): Promise<Finding[]> {
  const { server } = context;
  if (!server) return [];
  const findings: Finding[] = [];
  for (const [label, url, init, headers] of corsProbes({ ...context, server })) {
    findings.push(await checkCorsAt(context.options, label, url, init, headers));
  }
  return findings;
}

async function checkCallerIntrospection({ settings, server, options }: DoctorContext): Promise<Finding[]> {
  if (!settings.caller.introspection) return [];
  const found = await checkIntrospection(settings.caller.introspection, server, settings.client.issuer, {
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
  });
  return [finding(found.level, 'token introspection', found.text)];
}

/** One partner provider: a service token through the server's cache, or asked for directly. */
async function checkProvider(provider: M2mProvider, options: DoctorOptions): Promise<Finding> {
  const subject = `provider ${provider.name}`;
  const prefix = `M2M_${provider.name.toUpperCase().replace(/-/g, '_')}_`;
  if (provider.auth.mode === 'api_key') {
    return finding(
      'ok',
      subject,
      `API key set (sent as ${provider.auth.header}); not tried, as no call is safe to make blindly`,
    );
  }
  try {
    if (options.m2m) {
      const status = await options.m2m.tokenStatus(provider.name);
      return finding('ok', subject, status.fromCache ? 'a token is in the cache' : 'a token was issued');
    }
    const grant = await requestClientCredentials(provider.auth, options.fetch);
    const tokens = await grant.process();
    const lifetime = typeof tokens.expires_in === 'number' ? `expires_in ${tokens.expires_in} s` : 'no expires_in';
    return finding('ok', subject, `a token was issued (${lifetime})`);
  } catch (err) {
    const refused =
      (err instanceof M2mError && err.code === 'upstream_auth_failed') ||
      ((err instanceof oauth.ResponseBodyError || err instanceof oauth.WWWAuthenticateChallengeError) &&
        (err.status === 400 || err.status === 401));
    return finding(
      'problem',
      subject,
      refused
        ? `${provider.auth.tokenUrl} refused the credentials (${describe(err)}): check ${prefix}CLIENT_ID, ${prefix}CLIENT_SECRET, ${prefix}AUTH_METHOD and ${prefix}SCOPE`
        : `${provider.auth.tokenUrl} gave no token (${describe(err)}): check ${prefix}TOKEN_URL`,
    );
  }
}

async function checkProviders({ settings, options }: DoctorContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const provider of settings.providers) findings.push(await checkProvider(provider, options));
  return findings;
}

/** The checks, in the order of the report. */
const CHECKS: Check[] = [
  checkConfiguration,
  checkDiscovery,
  checkServerFeatures,
  checkCors,
  checkCallerIntrospection,
  async ({ settings }) => [await checkSharedState(settings.sharedState)], // the Redis of REDIS_URL
  checkProviders,
];

/**
 * Checks the configuration, then asks each server what the app will meet. Never throws: a
 * failure to reach a server is a finding.
 */
export async function diagnose(env: Environment, options: DoctorOptions): Promise<Finding[]> {
  let settings: Settings;
  try {
    settings = readSettings(env, options.appOrigin);
  } catch (err) {
    const problems = configProblems(err);
    if (!problems.length) throw err;
    return problems.map(({ variable, message }) => finding('problem', variable, message));
  }
  const context: DoctorContext = { settings, options };
  const findings: Finding[] = [];
  for (const check of CHECKS) findings.push(...(await check(context)));
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

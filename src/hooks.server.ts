import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit/hooks';
import { dev } from '$app/env';
import type { ConfigProblem } from '#lib/base/errors.ts';
import {
  bodyTooLargeResponse,
  declaresTooLarge,
  isApiPath,
  trailingSlashRedirect,
  withNoStore,
} from '#lib/server/api-guard.ts';
import { callerProblems, opsSettings, serverContext, serverEnvironment, serverSettings } from '#lib/server/config.ts';
import { connectSources, type ConnectSources } from '#lib/server/csp.ts';
import { diagnose, formatFindings } from '#lib/server/doctor.ts';
import { SERVER_ERROR_CODE } from '#lib/server/errors.ts';
import { registerReadinessCheck } from '#lib/server/health.ts';
import { log } from '#lib/server/log.ts';
import { serveMetrics } from '#lib/server/metrics.ts';
import {
  configProblems,
  expectedOrigin,
  formatProblems,
  nodeBodySizeLimit,
  type Environment,
  type OpsSettings,
  type Settings,
} from '#lib/server/settings.ts';

/** Configuration problems found at start-up under `vite dev`, shown on every page until fixed. */
let devProblems: ConfigProblem[] = [];

/** The CSP connect-src directives, built once from the checked settings. */
let connect: ConnectSources | undefined;

/** Whether the developer inspector is served (INSPECT_ENABLED), decided once at start-up. */
let inspectorOn = false;

/** Replaced in app.html's <html data-inspector> so the pages know (the nav link, the inspector's own 404). */
const INSPECTOR_MARK = '%fieldpass.inspector%';

/**
 * Replaced in app.html's <html data-partner-scopes> with the Fentu permissions the partner route
 * asks of a signed-in user (each provider's M2M_<NAME>_USER_SCOPE), so the header links to the
 * Integrations page only for people who hold one. The route still checks every call itself.
 */
const PARTNERS_MARK = '%fieldpass.partners%';

/** The partner providers' user scopes, space-separated, decided once at start-up. */
let partnerScopes = '';

/** The page shell with this server's switches written into it. */
function markShell(html: string, inspector: 'on' | 'off'): string {
  const scopes = partnerScopes.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return html.replace(INSPECTOR_MARK, inspector).replace(PARTNERS_MARK, scopes);
}

/** The inspector's routes that are endpoints rather than pages, as route ids ("/(app)/inspect/connect-src"). */
const INSPECTOR_ENDPOINTS = new Set(
  Object.keys(import.meta.glob('./routes/\\(app\\)/inspect/**/+server.ts')).map((file) =>
    file.slice('./routes'.length, -'/+server.ts'.length),
  ),
);

/** SvelteKit's own decoding of a pathname before routing: "/%69nspect" reaches /inspect. */
function decodePathname(pathname: string): string {
  try {
    return pathname.split('%25').map(decodeURI).join('%25');
  } catch {
    return pathname;
  }
}

/** Whether a request is for the inspector, judged as the router judges it (route id, decoded path). */
function isInspectorRequest(event: HandleInput['event']): boolean {
  const id = event.route.id;
  if (id === '/(app)/inspect' || id?.startsWith('/(app)/inspect/')) return true;
  const pathname = decodePathname(event.url.pathname);
  return pathname === '/inspect' || pathname.startsWith('/inspect/');
}

/**
 * The inspector's requests while it is off: 404, and no inspector route runs. A page gets the
 * app's shell (pages render in the browser only), where the inspector's layout shows the app's
 * not-found page and why; anything else gets a bare 404.
 */
async function resolveInspectorOff({ event, resolve }: HandleInput): Promise<Response> {
  const { id } = event.route;
  const page = id !== null && !INSPECTOR_ENDPOINTS.has(id) && !event.isDataRequest;
  if (!page || (event.request.method !== 'GET' && event.request.method !== 'HEAD')) {
    return new Response('Not Found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
  const response = await resolve(event, {
    transformPageChunk: ({ html }) => markShell(html, 'off'),
  });
  return new Response(response.body, { status: 404, headers: response.headers });
}

/**
 * Without ORIGIN, adapter-node takes each request's origin from its Host header (or from
 * PROTOCOL_HEADER and HOST_HEADER behind a proxy), so the server believes whatever address a
 * client names. Nothing the server keeps depends on it, and a deployment behind a proxy that sets
 * those headers works without ORIGIN, so ORIGIN is not required; production says plainly at
 * start-up that it should be set.
 */
function warnWithoutOrigin(env: Environment): void {
  if (dev || env.ORIGIN?.trim()) return;
  log.warn('origin_unset', {
    message:
      'ORIGIN is not set: requests are trusted to name this server in their Host header. Set ORIGIN to the address users open, e.g. ORIGIN=https://fieldpass.example.com.',
  });
}

/** adapter-node's BODY_SIZE_LIMIT applies to every request before the API's own limit: the smaller wins. */
function warnBodyLimits(env: Environment, ops: OpsSettings): void {
  const nodeLimit = nodeBodySizeLimit(env);
  if (dev || !env.API_MAX_BODY_BYTES?.trim() || !(nodeLimit < ops.apiMaxBodyBytes)) return;
  log.warn('body_limit_lowered', {
    message: `API_MAX_BODY_BYTES is ${ops.apiMaxBodyBytes}, but BODY_SIZE_LIMIT (adapter-node) refuses bodies over ${nodeLimit} bytes first; raise BODY_SIZE_LIMIT to at least API_MAX_BODY_BYTES.`,
  });
}

/** The doctor's findings on the live servers, logged once; they never hold the server up. */
function runDoctor(env: Environment, appOrigin: string): void {
  // Through the server's own token cache: instances starting together ask for one token, not one each.
  void diagnose(env, { appOrigin, m2m: serverContext(appOrigin).m2m }).then(
    (findings) => {
      const report = formatFindings(findings.filter((finding) => finding.level !== 'ok')).split('\n');
      const summary = formatFindings(findings).split('\n').pop();
      console.log(`[doctor] ${summary}${report.length > 1 ? '; run `npm run doctor` for the whole report' : ''}`);
      for (const line of report.slice(0, -1)) console.warn(`[doctor] ${line}`);
    },
    (err) => console.warn('[doctor] the start-up check could not run:', err),
  );
}

/**
 * Checks the whole configuration before the first request and reports every problem at once,
 * each naming its variable; in production the process then exits. A sound configuration makes
 * the server ready (GET /readyz), starts the metrics port when one is set, and is then checked
 * against the servers themselves (as `npm run doctor` does), in the background.
 */
export const init: ServerInit = () => {
  const env = serverEnvironment();
  const appOrigin = expectedOrigin(env);
  let settings: Settings;
  try {
    settings = serverSettings(appOrigin);
  } catch (err) {
    devProblems = configProblems(err);
    if (!devProblems.length) throw err;
    console.error(`\n${formatProblems(devProblems)}\n`);
    if (!dev) process.exit(1);
    registerReadinessCheck('configuration', () => ({ ok: false, detail: 'settings need fixing; see the server log' }));
    return;
  }
  registerReadinessCheck('configuration', () => true);
  if (settings.sharedState) {
    // Connects now. Without Redis the app still serves every page and partner calls fall back to
    // each instance's memory (only DPoP-bound partner calls are refused), so a Redis outage makes
    // readiness "degraded", not failed: taking every instance out of rotation would be worse.
    const { sharedState } = serverContext(appOrigin);
    registerReadinessCheck('redis', async () => (await sharedState.ping()) || { ok: false, detail: 'no answer' }, {
      critical: false,
    });
  }
  // The partner route's caller checks depend on the authorization server (keys, introspection):
  // a recent failure there degrades readiness, as its cause is in the log.
  registerReadinessCheck('caller checks', () => callerProblems.clear() || { ok: false, detail: 'see the log' }, {
    critical: false,
  });
  connect = connectSources(settings);
  inspectorOn = settings.inspect.enabled;
  partnerScopes = [...new Set(settings.providers.map((provider) => provider.userScope))].join(' ');
  warnWithoutOrigin(env);
  warnBodyLimits(env, settings.ops);
  if (settings.ops.metricsListen) serveMetrics(settings.ops.metricsListen);
  log.info('startup', {
    metricsPort: settings.ops.metricsListen?.port ?? null,
    metricsOnAppPort: settings.ops.metricsToken !== undefined,
    apiMaxBodyBytes: settings.ops.apiMaxBodyBytes,
    sharedState: settings.sharedState ? 'redis' : 'memory',
    inspector: `${settings.inspect.enabled ? 'on' : 'off'} (${settings.inspect.reason})`,
  });
  runDoctor(env, appOrigin);
};

/** The start-up configuration problems as a page, under `vite dev` only. */
function problemsPage(problems: ConfigProblem[]): Response {
  const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const items = problems.map(({ variable, message }) => {
    const rest = message.startsWith(variable) ? message.slice(variable.length) : `: ${message}`;
    return `<li><code>${escape(variable)}</code>${escape(rest)}</li>`;
  });
  const body = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Fieldpass is not set up correctly</title>
<main><h1>Fieldpass is not set up correctly</h1>
<p>Fix these settings in the environment or <code>.env</code>, then restart <code>npm run dev</code>:</p>
<ul>${items.join('')}</ul><p>See <code>.env.example</code> for every setting.</p></main></html>`;
  return new Response(body, { status: 500, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

/** Paths that answer even while the dev server shows the configuration problems page. */
const OPS_PATHS = new Set(['/healthz', '/readyz']);

type HandleInput = Parameters<Handle>[0];

/**
 * A request under /api/: a trailing slash is redirected here (the API routes leave it to this
 * hook, so the redirect gets the API's headers), and a body whose Content-Length is over
 * API_MAX_BODY_BYTES is refused with 413 before any route runs.
 */
async function resolveApi({ event, resolve }: HandleInput): Promise<Response> {
  const redirect = event.route.id ? trailingSlashRedirect(event.url) : undefined;
  if (redirect) return redirect;
  const limit = opsSettings().apiMaxBodyBytes;
  if (declaresTooLarge(event.request, limit)) return bodyTooLargeResponse(limit);
  return resolve(event);
}

/**
 * Security headers on every response. The CSP SvelteKit builds from `kit.csp` gets a connect-src
 * naming the configured authorization server and API, the only origins the browser must reach.
 */
export const handle: Handle = async ({ event, resolve }) => {
  const { pathname } = event.url;
  if (dev && devProblems.length && !OPS_PATHS.has(pathname)) return problemsPage(devProblems);
  const inspector = isInspectorRequest(event);
  event.locals.inspector = { enabled: inspectorOn, origins: connect?.inspectorOrigins ?? [] };
  // Every answer under /api/ is per caller and per request: SvelteKit's own 404 and 405 included.
  const response = isApiPath(pathname)
    ? withNoStore(await resolveApi({ event, resolve }))
    : inspector && !inspectorOn
      ? await resolveInspectorOff({ event, resolve })
      : await resolve(event, {
          transformPageChunk: ({ html }) => markShell(html, inspectorOn ? 'on' : 'off'),
        });
  const csp = response.headers.get('content-security-policy');
  if (csp && connect) {
    const sources = inspector ? connect.inspector : connect.app;
    response.headers.set('content-security-policy', `${csp}; ${sources}`);
  }
  response.headers.set('referrer-policy', 'no-referrer');
  response.headers.set('x-frame-options', 'DENY');
  response.headers.set('x-content-type-options', 'nosniff');
  if (pathname === '/callback' || event.route.id === '/(app)/inspect/callback') {
    response.headers.set('cache-control', 'no-store');
  }
  return response;
};

/**
 * Unexpected server errors reach the page as a generic message and code; the detail stays in the
 * log. Errors the app raised on purpose and SvelteKit's own (404, 405) keep their status and message.
 */
export const handleError: HandleServerError = ({ kind, error }) => {
  if (kind !== 'unknown') return;
  console.error(error);
  return {
    message: 'Fieldpass hit an unexpected problem. Reload the page; if it keeps happening, restart Fieldpass.',
    code: SERVER_ERROR_CODE,
  };
};

import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit/hooks';
import { dev } from '$app/env';
import { INSPECT_CONNECT_ORIGINS } from '$app/env/private';
import { loadClientConfig } from '#lib/config.ts';
import type { ConfigProblem } from '#lib/oauth/errors.ts';
import { serverEnvironment } from '#lib/server/config.ts';
import { diagnose, formatFindings } from '#lib/server/doctor.ts';
import {
  configProblems,
  expectedOrigin,
  formatProblems,
  parseInspectOrigins,
  readSettings,
} from '#lib/server/settings.ts';

/** Configuration problems found at start-up under `vite dev`, shown on every page until fixed. */
let devProblems: ConfigProblem[] = [];

/**
 * Checks the whole configuration before the first request and reports every problem at once,
 * each naming its variable; in production the process then exits. A sound configuration is then
 * checked against the servers themselves (as `npm run doctor` does), in the background: the
 * findings are logged once and never hold the server up.
 */
export const init: ServerInit = () => {
  const env = serverEnvironment();
  const appOrigin = expectedOrigin(env);
  try {
    readSettings(env, appOrigin);
  } catch (err) {
    devProblems = configProblems(err);
    if (!devProblems.length) throw err;
    console.error(`\n${formatProblems(devProblems)}\n`);
    if (!dev) process.exit(1);
    return;
  }
  void diagnose(env, { appOrigin }).then(
    (findings) => {
      const report = formatFindings(findings.filter((finding) => finding.level !== 'ok')).split('\n');
      const summary = formatFindings(findings).split('\n').pop();
      console.log(`[doctor] ${summary}${report.length > 1 ? '; run `npm run doctor` for the whole report' : ''}`);
      for (const line of report.slice(0, -1)) console.warn(`[doctor] ${line}`);
    },
    (err) => console.warn('[doctor] the start-up check could not run:', err),
  );
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

const connectSources = new Map<string, string>();

/** The CSP connect-src for an app origin: itself, the issuer, the API and hand-entered endpoints. */
function connectSrc(appOrigin: string, inspector: boolean): string {
  const cacheKey = `${appOrigin} ${inspector}`;
  let value = connectSources.get(cacheKey);
  if (value === undefined) {
    const loaded = loadClientConfig(appOrigin);
    const origins = new Set(["'self'"]);
    if ('config' in loaded) {
      const { issuer, apiBaseUrl, endpoints } = loaded.config;
      for (const url of [issuer, apiBaseUrl, ...Object.values(endpoints ?? {})]) origins.add(new URL(url).origin);
    }
    if (inspector) for (const origin of parseInspectOrigins(INSPECT_CONNECT_ORIGINS)) origins.add(origin);
    value = `connect-src ${[...origins].join(' ')}`;
    connectSources.set(cacheKey, value);
  }
  return value;
}

/**
 * Security headers on every response. The CSP SvelteKit builds from `kit.csp` gets a connect-src
 * naming the configured authorization server and API, the only origins the browser must reach.
 */
export const handle: Handle = async ({ event, resolve }) => {
  if (dev && devProblems.length) return problemsPage(devProblems);
  const response = await resolve(event);
  const csp = response.headers.get('content-security-policy');
  const inspector = event.url.pathname.startsWith('/inspect');
  if (csp) response.headers.set('content-security-policy', `${csp}; ${connectSrc(event.url.origin, inspector)}`);
  response.headers.set('referrer-policy', 'no-referrer');
  response.headers.set('x-frame-options', 'DENY');
  response.headers.set('x-content-type-options', 'nosniff');
  if (event.url.pathname === '/callback' || event.url.pathname === '/inspect/callback') {
    response.headers.set('cache-control', 'no-store');
  }
  return response;
};

/**
 * Unexpected server errors reach the page as a generic message; the detail stays in the log.
 * Errors the app raised on purpose and SvelteKit's own (404, 405) keep their status and message.
 */
export const handleError: HandleServerError = ({ kind, error }) => {
  if (kind !== 'unknown') return;
  console.error(error);
  return { message: 'Fieldpass hit an unexpected problem. Reload the page; if it keeps happening, restart Fieldpass.' };
};

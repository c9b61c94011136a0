// Starts the sandbox: the Fentu authorization server and the stand-in Fentu FSM API, on loopback.
// `node sandbox/index.js`; settings in sandbox/settings.js (all optional environment variables).

import { createServer } from 'node:http';
import { handleAdmin } from './admin.js';
import { createProvider, handleInteraction } from './authorization-server.js';
import { handleApi } from './fentu-api.js';
import { readBody } from './http.js';
import { handleM2m } from './m2m-api.js';
import { errorPage } from './pages.js';
import { SETTINGS, current } from './settings.js';
import { bump, stats } from './stats.js';

// The token endpoint's body is read before oidc-provider sees it (below), on purpose; its warning
// about that says nothing a developer can act on.
const warn = console.warn;
console.warn = (...args) => {
  if (typeof args[0] === 'string' && args[0].includes('already parsed request body detected')) return;
  warn(...args);
};

const provider = createProvider();
const providerCallback = provider.callback();

function guard(handler) {
  return (req, res) =>
    handler(req, res).catch((err) => {
      console.error('[sandbox]', err);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
        res.end(errorPage('The sandbox hit an unexpected error; see its console.'));
      }
    });
}

/** Successful refresh answers by the refresh token they rotated, for the grace window. */
const rotated = new Map();

/**
 * A server with a reuse grace window (settings.refreshGrace, seconds; 0 = strict, the default):
 * a refresh token presented again within the window after it was rotated gets the same answer as
 * the first time, instead of reuse detection. Answers true when it answered the request itself;
 * otherwise it remembers this request's successful answer.
 */
function graceAnswer(req, res, refreshToken) {
  const now = Date.now();
  for (const [token, answer] of rotated) if (now - answer.at > 60_000) rotated.delete(token);
  const earlier = refreshToken && rotated.get(refreshToken);
  if (earlier && current.refreshGrace > 0 && now - earlier.at <= current.refreshGrace * 1000) {
    bump(stats.token, 'requests');
    bump(stats.token.refresh, 'graceReplays');
    res.writeHead(200, { ...earlier.headers, 'access-control-allow-origin': req.headers.origin ?? '' });
    res.end(earlier.body);
    return true;
  }
  if (!refreshToken) return false;
  const end = res.end.bind(res);
  const chunks = [];
  const write = res.write.bind(res);
  res.write = (chunk, ...rest) => {
    if (chunk) chunks.push(Buffer.from(chunk));
    return write(chunk, ...rest);
  };
  res.end = (chunk, ...rest) => {
    if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk));
    if (res.statusCode === 200) {
      const headers = Object.fromEntries(
        ['content-type', 'cache-control', 'pragma', 'access-control-expose-headers', 'vary']
          .filter((name) => res.hasHeader(name))
          .map((name) => [name, res.getHeader(name)]),
      );
      rotated.set(refreshToken, { at: Date.now(), headers, body: Buffer.concat(chunks) });
    }
    return end(chunk, ...rest);
  };
  return false;
}

const issuerServer = createServer(
  guard(async (req, res) => {
    const path = new URL(req.url, SETTINGS.issuer).pathname;
    if (path.startsWith('/interaction/')) return handleInteraction(provider, req, res);
    if (path.startsWith('/__sandbox/')) return handleAdmin(provider, req, res);
    // The token endpoint's body is read here first so the sandbox can record the exact bytes a
    // client sent (oidc-provider then parses this copy instead of the stream).
    if (path === '/token' && req.method === 'POST') {
      req.body = await readBody(req);
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') === 'refresh_token' && graceAnswer(req, res, form.get('refresh_token'))) return;
    }
    return providerCallback(req, res);
  }),
);
const apiServer = createServer(guard(handleApi));
const m2mServer = createServer(guard(handleM2m));

function listen(server, port, name) {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `${name}: port ${port} is in use. Stop whatever holds it, or set ${name === 'issuer' ? 'SANDBOX_ISSUER_PORT' : 'SANDBOX_API_PORT'}.`,
            )
          : err,
      );
    });
    server.listen(port, SETTINGS.host, resolve);
  });
}

try {
  await listen(issuerServer, SETTINGS.issuerPort, 'issuer');
  await listen(apiServer, SETTINGS.apiPort, 'api');
  await listen(m2mServer, SETTINGS.m2mPort, 'm2m');
} catch (err) {
  console.error(`[sandbox] ${err.message}`);
  process.exit(1);
}
console.log(`[sandbox] Fentu authorization server  ${SETTINGS.issuer}  (client "${SETTINGS.clientId}")`);
console.log(`[sandbox] Fentu FSM API                ${SETTINGS.apiBaseUrl}`);
console.log(`[sandbox] machine-to-machine API      ${SETTINGS.m2mBaseUrl}  (tenant ${SETTINGS.tenantId})`);
console.log(`[sandbox] app origins allowed          ${SETTINGS.appOrigins.join(', ')}`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    issuerServer.close();
    apiServer.close();
    m2mServer.close();
    process.exit(0);
  });
}

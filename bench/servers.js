// The bench's own sandbox and production app (`node build`), on free loopback ports, so it needs
// no configuration and does not collide with a running `npm run dev` or an e2e suite. The
// children are stopped when the bench ends, however it ends (error, Ctrl-C, SIGTERM).

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const TENANT = '6f1c2d3e-0000-4000-8000-00000000f3n7';
export const FENERGO_SECRET = 'bench-fenergo-secret';

/** A port nothing listens on now (the OS picks it; it is closed again before the child takes it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const children = new Set();
let stopping = false;

/** Stops every child the bench started (only those, by their own handles). */
export function stopAll() {
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopAll();
    process.exit(130);
  });
}

function start(name, args, env) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  child.on('exit', (code) => {
    children.delete(child);
    if (code && !stopping) console.error(`[bench] ${name} exited (${code}):\n${errors}`);
  });
  children.add(child);
  return child;
}

async function waitFor(url, what) {
  for (let i = 0; i < 150; i += 1) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${what} (${url}) did not come up${what === 'app' ? '; is `vite build` done?' : ''}`);
}

/** The app's configuration against the bench's sandbox (without where it listens). */
export function appEnvironment({ issuer, api, m2m }) {
  return {
    PUBLIC_FENTU_ISSUER: issuer,
    PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
    PUBLIC_FENTU_API_BASE_URL: api,
    M2M_PROVIDERS: 'fenergo',
    M2M_FENERGO_TOKEN_URL: `${issuer}/token`,
    M2M_FENERGO_AUTH_METHOD: 'client_secret_post',
    M2M_FENERGO_CLIENT_ID: 'fenergo-sandbox',
    M2M_FENERGO_CLIENT_SECRET: FENERGO_SECRET,
    M2M_FENERGO_SCOPE: `fenx.entitydata.read tenant/${TENANT}`,
    M2M_FENERGO_SCOPE_RULES: 'fenergo',
    M2M_FENERGO_TENANT_ID: TENANT,
    M2M_FENERGO_API_BASE_URL: m2m,
    M2M_FENERGO_ALLOW: 'GET /entities',
    M2M_FENERGO_USER_SCOPE: 'read:customers',
    // The bench measures the route with one user's token: the per-user limit is not what it times.
    M2M_USER_RATE_LIMIT: '1000000/60s',
  };
}

/** Starts the sandbox and the built app on free ports; resolves with their origins once both answer. */
export async function startStack() {
  const ports = { issuer: await freePort(), api: await freePort(), m2m: await freePort(), app: await freePort() };
  const issuer = `http://127.0.0.1:${ports.issuer}`;
  const api = `http://127.0.0.1:${ports.api}`;
  const m2m = `http://127.0.0.1:${ports.m2m}`;
  const app = `http://127.0.0.1:${ports.app}`;
  start('sandbox', ['sandbox/index.js'], {
    SANDBOX_ISSUER_PORT: String(ports.issuer),
    SANDBOX_API_PORT: String(ports.api),
    SANDBOX_M2M_PORT: String(ports.m2m),
    SANDBOX_APP_ORIGINS: app,
    SANDBOX_FENERGO_SECRET: FENERGO_SECRET,
  });
  start('app', ['build/index.js'], {
    HOST: '127.0.0.1',
    PORT: String(ports.app),
    ORIGIN: app,
    ...appEnvironment({ issuer, api, m2m }),
  });

  await waitFor(`${issuer}/.well-known/openid-configuration`, 'sandbox');
  await waitFor(app, 'app');
  return { issuer, api, m2m, app };
}

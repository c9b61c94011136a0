// `npm run bench`: figures for the production build, compared with bench/budget.json.
// Starts its own sandbox and app on ports of their own (9020/9120/9220, 4183), so nothing else
// needs to run. Prints each figure and says which is over budget; exits 1 if any is.
// `npm run bench -- --soak [seconds]` runs the session soak (bench/soak.js) instead.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { soak } from './soak.js';

const PORTS = { issuer: 9020, api: 9120, m2m: 9220, app: 4183 };
const ISSUER = `http://127.0.0.1:${PORTS.issuer}`;
const M2M = `http://127.0.0.1:${PORTS.m2m}`;
const APP = `http://127.0.0.1:${PORTS.app}`;
const TENANT = '6f1c2d3e-0000-4000-8000-00000000f3n7';
const SECRET = 'bench-fenergo-secret';
const CALLS = 2000;
const CONCURRENCY = 16;
const ROUNDS = 4;
const soakFlag = process.argv.indexOf('--soak');
const SOAK_SECONDS = soakFlag === -1 ? 0 : Number(process.argv[soakFlag + 1] ?? 120) || 120;

const children = [];
function start(name, args, env) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  child.on('exit', (code) => {
    if (code && !stopping) console.error(`[bench] ${name} exited (${code}):\n${errors}`);
  });
  children.push(child);
}
let stopping = false;
function stop() {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
}
process.on('exit', stop);

async function waitFor(url) {
  for (let i = 0; i < 100; i += 1) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not come up; is \`npm run build\` done?`);
}

const json = (response) => response.json();
const stats = () => fetch(`${ISSUER}/__sandbox/stats`).then(json);

/** Runs `count` calls of `call`, `concurrency` at a time; returns the latencies (ms) and seconds taken. */
async function load(count, concurrency, call) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        const t0 = performance.now();
        const response = await call();
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`a call answered ${response.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** Median, p99 and throughput over several rounds. */
function summarise(rounds) {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { median: at(0.5), p99: at(0.99), throughput: latencies.length / seconds };
}

start('sandbox', ['sandbox/index.js'], {
  SANDBOX_ISSUER_PORT: String(PORTS.issuer),
  SANDBOX_API_PORT: String(PORTS.api),
  SANDBOX_M2M_PORT: String(PORTS.m2m),
  SANDBOX_APP_ORIGINS: APP,
  SANDBOX_FENERGO_SECRET: SECRET,
});
start('app', ['build/index.js'], {
  HOST: '127.0.0.1',
  PORT: String(PORTS.app),
  ORIGIN: APP,
  PUBLIC_FENTU_ISSUER: ISSUER,
  PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
  PUBLIC_FENTU_API_BASE_URL: `http://127.0.0.1:${PORTS.api}`,
  M2M_PROVIDERS: 'fenergo',
  M2M_FENERGO_TOKEN_URL: `${ISSUER}/token`,
  M2M_FENERGO_AUTH_METHOD: 'client_secret_post',
  M2M_FENERGO_CLIENT_ID: 'fenergo-sandbox',
  M2M_FENERGO_CLIENT_SECRET: SECRET,
  M2M_FENERGO_SCOPE: `fenx.entitydata.read tenant/${TENANT}`,
  M2M_FENERGO_SCOPE_RULES: 'fenergo',
  M2M_FENERGO_TENANT_ID: TENANT,
  M2M_FENERGO_API_BASE_URL: M2M,
  M2M_FENERGO_ALLOW: 'GET /entities',
  M2M_FENERGO_USER_SCOPE: 'read:customers',
});

/** The client-credentials route's figures: token requests under a burst, latency and throughput. */
async function m2mFigures() {
  const user = await fetch(`${ISSUER}/__sandbox/user-token`, {
    method: 'POST',
    body: JSON.stringify({ scope: 'read:customers' }),
  }).then(json);
  const viaRoute = () =>
    fetch(`${APP}/api/m2m/fenergo/entities`, { headers: { authorization: `Bearer ${user.access_token}` } });

  // 1. A cold cache, 1,000 callers at once.
  const before = (await stats()).clientCredentials.byClient['fenergo-sandbox'] ?? 0;
  const burst = await Promise.all(Array.from({ length: 1000 }, viaRoute));
  if (burst.some((r) => r.status !== 200)) throw new Error('a burst call failed');
  await Promise.all(burst.map((r) => r.arrayBuffer()));
  const tokenRequests = (await stats()).clientCredentials.byClient['fenergo-sandbox'] - before;

  // 2. The route against the same calls made straight to the upstream with a service token.
  const service = await fetch(`${ISSUER}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'fenergo-sandbox',
      client_secret: SECRET,
      scope: `fenx.entitydata.read tenant/${TENANT}`,
    }),
  }).then(json);
  const direct = () =>
    fetch(`${M2M}/entities`, { headers: { authorization: `Bearer ${service.access_token}`, 'x-tenant-id': TENANT } });
  await load(200, CONCURRENCY, viaRoute); // warm-up
  await load(200, CONCURRENCY, direct);
  // Alternating rounds, so drift on a shared machine affects both sides alike.
  const routeRounds = [];
  const directRounds = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    routeRounds.push(await load(CALLS / ROUNDS, CONCURRENCY, viaRoute));
    directRounds.push(await load(CALLS / ROUNDS, CONCURRENCY, direct));
  }
  const route = summarise(routeRounds);
  const upstream = summarise(directRounds);

  return {
    'm2m.tokenRequestsPer1000ConcurrentCalls': tokenRequests,
    'm2m.route.medianMs': route.median,
    'm2m.route.p99Ms': route.p99,
    'm2m.route.throughputPerSecond': route.throughput,
    'm2m.direct.medianMs': upstream.median,
    'm2m.direct.p99Ms': upstream.p99,
    'm2m.direct.throughputPerSecond': upstream.throughput,
    'm2m.routeToDirect.medianRatio': route.median / upstream.median,
    'm2m.routeToDirect.p99Ratio': route.p99 / upstream.p99,
    'm2m.routeToDirect.throughputRatio': route.throughput / upstream.throughput,
  };
}

try {
  await waitFor(`${ISSUER}/.well-known/openid-configuration`);
  await waitFor(APP);
  const figures = SOAK_SECONDS ? await soak({ app: APP, issuer: ISSUER, seconds: SOAK_SECONDS }) : await m2mFigures();

  const budget = JSON.parse(readFileSync(new URL('./budget.json', import.meta.url), 'utf8'));
  let over = 0;
  console.log(
    SOAK_SECONDS
      ? `\nFieldpass soak — ${SOAK_SECONDS} s, five tabs, random offline periods, Node ${process.version}\n`
      : `\nFieldpass bench — ${CALLS} calls each way in ${ROUNDS} alternating rounds, ${CONCURRENCY} at a time, Node ${process.version}\n`,
  );
  for (const [name, value] of Object.entries(figures)) {
    const limit = budget[name];
    let verdict = '';
    if (limit?.max !== undefined)
      verdict = value <= limit.max ? `ok (≤ ${limit.max})` : `OVER BUDGET (max ${limit.max})`;
    if (limit?.min !== undefined)
      verdict = value >= limit.min ? `ok (≥ ${limit.min})` : `OVER BUDGET (min ${limit.min})`;
    if (verdict.startsWith('OVER')) over += 1;
    const shown = Number.isInteger(value) ? String(value) : value.toFixed(2);
    console.log(`${name.padEnd(42)} ${shown.padStart(10)} ${(limit?.unit ?? '').padEnd(9)} ${verdict}`);
  }
  console.log(
    over ? `\n${over} figure(s) over budget (bench/budget.json).` : '\nAll budgeted figures within bench/budget.json.',
  );
  process.exitCode = over ? 1 : 0;
} catch (err) {
  console.error(`[bench] ${err.message}`);
  process.exitCode = 2;
} finally {
  stop();
}

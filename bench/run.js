// `npm run bench`: figures for the production build (`vite build` runs first), compared with
// bench/budget.json. Starts its own sandbox and app (`node build`) on free ports, so nothing else
// needs to run, and stops them however it ends. Prints each figure beside its budget, names every
// figure over budget and exits 1 if any is (2 if the bench itself failed).
//
//   JavaScript    gzip -9 of the scripts a cold load of the consent, callback and home pages
//                 fetches (bench/browser.js), and the OAuth core bundled on its own (bench/bundle.js)
//   callback      callback page load to tokens stored, median and p95 over 20 real sign-ins
//   requests      every request from the click on Continue to home signed in (bench/requests.js)
//   m2m           the client-credentials route: token requests under a burst, latency, throughput;
//                 the same with three instances sharing one Redis (needs redis-server)
//
// `npm run bench -- --runs 5` times fewer sign-ins; `npm run bench -- --soak [seconds]` runs the
// session soak (bench/soak.js) instead of all of the above.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { attribute, readChunkModules } from './attribution.js';
import { browserFigures } from './browser.js';
import { coreFigures } from './bundle.js';
import { groupRequests, requestCounts, WHY } from './requests.js';
import { appEnvironment, FENERGO_SECRET, TENANT, startStack, stopAll } from './servers.js';
import { startInstances, startRedis } from '../tests/cluster.js';
import { soak } from './soak.js';
import { compareToBudget, median, quantile, verdict } from './stats.js';

const CALLS = 2000;
const CONCURRENCY = 16;
const ROUNDS = 4;
const flag = (name) => process.argv.indexOf(name);
const SOAK_SECONDS = flag('--soak') === -1 ? 0 : Number(process.argv[flag('--soak') + 1] ?? 120) || 120;
const RUNS = flag('--runs') === -1 ? 20 : Math.max(1, Number(process.argv[flag('--runs') + 1]) || 20);
/** Published sizes (gzip) of browser OAuth clients doing the same job, for comparison. */
const REFERENCES = { 'oidc-client-ts': 17_800, 'auth0-spa-js': 64_000 };

const json = (response) => response.json();
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

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
  const latencies = rounds.flatMap((r) => r.latencies);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  return { median: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), throughput: latencies.length / seconds };
}

/** The client-credentials route's figures: token requests under a burst, latency and throughput. */
async function m2mFigures({ app, issuer, m2m }) {
  const stats = () => fetch(`${issuer}/__sandbox/stats`).then(json);
  const user = await fetch(`${issuer}/__sandbox/user-token`, {
    method: 'POST',
    body: JSON.stringify({ scope: 'read:customers' }),
  }).then(json);
  const viaRoute = () =>
    fetch(`${app}/api/m2m/fenergo/entities`, { headers: { authorization: `Bearer ${user.access_token}` } });

  // 1. A cold cache, 1,000 callers at once.
  const before = (await stats()).clientCredentials.byClient['fenergo-sandbox'] ?? 0;
  const burst = await Promise.all(Array.from({ length: 1000 }, viaRoute));
  if (burst.some((r) => r.status !== 200)) throw new Error('a burst call failed');
  await Promise.all(burst.map((r) => r.arrayBuffer()));
  const tokenRequests = (await stats()).clientCredentials.byClient['fenergo-sandbox'] - before;

  // 2. The route against the same calls made straight to the upstream with a service token.
  const service = await fetch(`${issuer}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'fenergo-sandbox',
      client_secret: FENERGO_SECRET,
      scope: `fenx.entitydata.read tenant/${TENANT}`,
    }),
  }).then(json);
  const direct = () =>
    fetch(`${m2m}/entities`, { headers: { authorization: `Bearer ${service.access_token}`, 'x-tenant-id': TENANT } });
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

/**
 * Three instances of the built app behind one address, sharing one redis-server of the bench's own
 * and the sandbox: token requests for a cold start and 1,000 callers at once spread over them, then
 * the route's latency with Redis in the path, against the same upstream called directly (`direct`,
 * the medians from m2mFigures).
 */
async function instanceFigures(origins, direct) {
  const redis = await startRedis();
  const stats = () => fetch(`${origins.issuer}/__sandbox/stats`).then(json);
  const tokens = async () => (await stats()).clientCredentials.byClient['fenergo-sandbox'] ?? 0;
  const before = await tokens();
  const instances = await startInstances(3, {
    ...appEnvironment(origins),
    ORIGIN: 'https://fieldpass.bench',
    REDIS_URL: redis.url,
    M2M_CACHE_KEY: randomBytes(32).toString('base64'),
  });
  try {
    const user = await fetch(`${origins.issuer}/__sandbox/user-token`, {
      method: 'POST',
      body: JSON.stringify({ scope: 'read:customers' }),
    }).then(json);
    let next = 0;
    const viaAny = () =>
      fetch(`${instances.origins[next++ % 3]}/api/m2m/fenergo/entities`, {
        headers: { authorization: `Bearer ${user.access_token}` },
      });
    // Each instance's start-up check asks for a token through the shared cache as well.
    const burst = await Promise.all(Array.from({ length: 1000 }, viaAny));
    if (burst.some((r) => r.status !== 200)) throw new Error('a call through the instances failed');
    await Promise.all(burst.map((r) => r.arrayBuffer()));
    const tokenRequests = (await tokens()) - before;
    await load(200, CONCURRENCY, viaAny); // warm-up
    const rounds = [];
    for (let round = 0; round < ROUNDS; round += 1) rounds.push(await load(CALLS / ROUNDS, CONCURRENCY, viaAny));
    const route = summarise(rounds);
    return {
      'm2m.instances.tokenRequestsPer1000Calls': tokenRequests,
      'm2m.instances.route.medianMs': route.median,
      'm2m.instances.route.p99Ms': route.p99,
      'm2m.instances.route.throughputPerSecond': route.throughput,
      'm2m.instances.routeToDirect.medianRatio': route.median / direct.median,
      'm2m.instances.routeToDirect.p99Ratio': route.p99 / direct.p99,
    };
  } finally {
    await instances.stopAll();
    await redis.stop();
  }
}

/** The scripts each page loads on a cold cache: files, minified, gzip and the bytes sent. */
function printPageScripts(pages) {
  console.log('\nJavaScript the browser loads, cold cache (gzip -9 of each built file; the server sends its');
  console.log('precompressed .br, shown as "sent"). Shared chunks count for every page that loads them.');
  console.log(
    `${'page'.padEnd(22)}${'files'.padStart(6)}${'minified'.padStart(11)}${'gzip'.padStart(10)}${'sent'.padStart(10)}`,
  );
  for (const [name, label] of [
    ['consent', '/sign-in (consent)'],
    ['callback', '/callback'],
    ['home', '/ (signed in)'],
  ]) {
    const p = pages[name];
    console.log(
      `${label.padEnd(22)}${String(p.files).padStart(6)}${kB(p.raw).padStart(11)}${kB(p.gzip).padStart(10)}${kB(p.sent).padStart(10)}  ${p.encodings.join(',')}`,
    );
  }
}

/** The OAuth core bundled on its own, beside other browser clients, and by module. */
function printCore(core) {
  console.log(
    `\nThe OAuth core on its own (${core.files.length} modules, every export; one minified bundle, gzip -9):`,
  );
  console.log(`  core: oauth4webapi + idb-keyval + locks, DPoP, sealing, sign-in, refresh, API  ${kB(core.core.gzip)}`);
  console.log(
    `  of which oauth4webapi + idb-keyval alone (the ${core.libraryNames.oauth4webapi.length + core.libraryNames['idb-keyval'].length} functions the core uses)  ${kB(core.libraries.gzip)}`,
  );
  for (const [name, bytes] of Object.entries(REFERENCES)) {
    console.log(
      `  for comparison, ${name} ${kB(bytes)}: the core is ${Math.round((100 * core.core.gzip) / bytes)}% of it`,
    );
  }
  console.log('  by module (gzip, shared by size before minifying: an estimate):');
  const modules = Object.entries(core.byModule).sort((x, y) => y[1] - x[1]);
  const width = Math.max(...modules.map(([name]) => name.length));
  for (let i = 0; i < modules.length; i += 3) {
    const row = modules.slice(i, i + 3).map(([name, bytes]) => `${name.padEnd(width)}${kB(bytes).padStart(8)}`);
    console.log(`    ${row.join('    ')}`);
  }
}

/** What each page loads, by part, when the build left its chunk map; returns the OAuth core's share per page. */
function printPageParts(pages) {
  const chunks = readChunkModules();
  const coreShare = {};
  if (!chunks) {
    console.log(
      '\n(No .svelte-kit/output/client/.vite/chunk-modules.json: build with this vite.config.ts to see the parts.)',
    );
    return coreShare;
  }
  console.log('\nWhat each page loads, by part (gzip, shared per chunk by module size before minifying: an estimate):');
  for (const name of ['consent', 'callback', 'home']) {
    const parts = attribute(pages[name].gzipByPath, chunks);
    coreShare[name] = parts['OAuth core'] ?? 0;
    const shown = Object.entries(parts)
      .sort((x, y) => y[1] - x[1])
      .map(([part, bytes]) => `${part} ${kB(bytes)} (${Math.round((100 * bytes) / pages[name].gzip)}%)`)
      .join(', ');
    console.log(`  ${name.padEnd(9)} ${shown}`);
  }
  return coreShare;
}

/** The callback page's time to tokens stored, each sign-in and the median of each phase. */
function printCallbackTimes(signIns) {
  const times = signIns.map((s) => s.callbackToStoredMs);
  console.log(`\nCallback page navigation start to tokens stored, ${times.length} sign-ins (fresh browser each):`);
  console.log(`  ${times.map((t) => t.toFixed(0)).join(' ')} ms`);
  const phase = (name) => median(signIns.map((s) => s.phases[name])).toFixed(0);
  const byWorker = signIns.filter((s) => s.exchangedByWorker).length;
  console.log(
    `  medians: ${phase('untilTokenRequest')} ms until the token request, ${phase('tokenExchange')} ms token exchange (with its nonce retry), ${phase('storing')} ms until stored (in the worker: waiting for the page to claim its sign-in, then storing)`,
  );
  console.log(`  the service worker made the exchange in ${byWorker} of ${signIns.length} sign-ins`);
  return times;
}

/** The first sign-in's requests, grouped and explained; returns each count's worst over all sign-ins. */
function printRequests(signIns, origins) {
  const counts = signIns.map((s) => requestCounts(s.requests, origins));
  const worst = Object.fromEntries(Object.keys(counts[0]).map((k) => [k, Math.max(...counts.map((c) => c[k]))]));
  const first = signIns[0];
  console.log(
    `\nRequests from the click on Continue to home signed in (first sign-in; the budget takes the most over ${signIns.length}):`,
  );
  for (const [kind, { sent, cached }] of groupRequests(first.requests, origins)) {
    const n = `${sent}${cached ? ` +${cached} cached` : ''}`;
    console.log(`  ${n.padStart(11)}  ${kind.padEnd(46)} ${WHY[kind] ?? ''}`);
  }
  const server = first.server;
  console.log(
    `  the sandbox counted ${server.pushes} pushed authorization request (${server.pushNonceChallenges} nonce challenge), ${server.authorizations} authorization, ${server.tokenRequests} token requests (${server.nonceChallenges} nonce challenge) and ${server.apiRequests} API calls`,
  );
  return worst;
}

/** Prints the JavaScript, callback and request sections; returns their figures for the budget. */
function browserSection(core, { pages, signIns }, origins) {
  printPageScripts(pages);
  printCore(core);
  const coreShare = printPageParts(pages);
  const times = printCallbackTimes(signIns);
  const worst = printRequests(signIns, origins);
  return {
    'js.consent.gzipBytes': pages.consent.gzip,
    'js.callback.gzipBytes': pages.callback.gzip,
    'js.home.gzipBytes': pages.home.gzip,
    ...Object.fromEntries(Object.entries(coreShare).map(([page, bytes]) => [`js.${page}.coreGzipBytes`, bytes])),
    'js.core.gzipBytes': core.core.gzip,
    'js.core.libraries.gzipBytes': core.libraries.gzip,
    'callback.toTokensStored.medianMs': median(times),
    'callback.toTokensStored.p95Ms': quantile(times, 0.95),
    'requests.total': worst.total,
    'requests.discovery': worst.discovery,
    'requests.jwks': worst.jwks,
    'requests.tokenPosts': worst.tokenPosts,
    'requests.pushes': worst.pushes,
    'requests.tokenNonceChallenges': Math.max(...signIns.map((s) => s.server.nonceChallenges)),
    'requests.appDocuments': worst.appDocuments,
    'requests.appAssetsFromNetwork': worst.appAssetsFromNetwork,
    'requests.apiCalls': worst.apiCalls,
    'requests.repeated': worst.repeated,
  };
}

function printBudget(figures, only) {
  const budget = JSON.parse(readFileSync(new URL('./budget.json', import.meta.url), 'utf8'));
  const { rows, over, missing } = compareToBudget(figures, budget, { only });
  console.log('\nFigure'.padEnd(44) + 'value'.padStart(10));
  for (const row of rows) {
    const shown = Number.isInteger(row.value) ? String(row.value) : row.value.toFixed(2);
    console.log(`${row.name.padEnd(43)} ${shown.padStart(10)} ${row.unit.padEnd(9)} ${verdict(row)}`);
  }
  for (const name of missing)
    console.log(`${name.padEnd(43)} ${'—'.padStart(10)} not measured: the bench lost this figure`);
  if (over.length) console.log(`\nOver budget (bench/budget.json): ${over.join(', ')}.`);
  else if (!missing.length) console.log('\nAll budgeted figures within bench/budget.json.');
  return over.length + missing.length;
}

try {
  let figures;
  let only;
  if (SOAK_SECONDS) {
    const origins = await startStack();
    console.log(
      `\nFieldpass soak — ${SOAK_SECONDS} s, five tabs, random offline periods, reloads, closes and navigations, Node ${process.version}`,
    );
    figures = await soak({ app: origins.app, issuer: origins.issuer, seconds: SOAK_SECONDS });
    only = ['soak.'];
  } else {
    const core = await coreFigures();
    const origins = await startStack();
    console.log(`\nFieldpass bench — production build, Node ${process.version}, Chromium`);
    const browser = await browserFigures(origins, RUNS);
    figures = browserSection(core, browser, origins);
    console.log(
      `\nClient-credentials route: ${CALLS} calls each way in ${ROUNDS} alternating rounds, ${CONCURRENCY} at a time`,
    );
    Object.assign(figures, await m2mFigures(origins));
    console.log(`Three instances sharing one Redis: ${CALLS} calls in ${ROUNDS} rounds, ${CONCURRENCY} at a time`);
    const direct = { median: figures['m2m.direct.medianMs'], p99: figures['m2m.direct.p99Ms'] };
    Object.assign(figures, await instanceFigures(origins, direct));
    only = ['js.', 'callback.', 'requests.', 'm2m.'];
  }
  process.exitCode = printBudget(figures, only) ? 1 : 0;
} catch (err) {
  console.error(`[bench] ${err.stack ?? err.message}`);
  process.exitCode = 2;
} finally {
  stopAll();
}

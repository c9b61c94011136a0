// `npm run dev`: the sandbox (authorization server and Fentu API) and the app's dev server, side by
// side. `npm run preview` (this script with --production): the sandbox and the production build as
// `npm start` serves it, on the same address: the way to try offline use, which needs the
// service worker of a production build. Both read `.env` first (variables already set win).
// Ctrl+C stops both; if either stops, the other is stopped too.

import { spawn } from 'node:child_process';
import { loadEnvFile } from './load-env.js';

const production = process.argv.includes('--production');
const ADDRESS = 'http://127.0.0.1:5173';
loadEnvFile();

const app = production ? ['scripts/start.js'] : ['node_modules/vite/bin/vite.js', 'dev'];
const appEnv = production ? { HOST: '127.0.0.1', PORT: '5173', ORIGIN: ADDRESS, ...process.env } : process.env;

const children = [];
let stopping = false;

function start(name, args, env) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const prefix = (stream, out) =>
    stream.on('data', (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) out.write(line.startsWith(`[${name}]`) ? `${line}\n` : `[${name}] ${line}\n`);
      }
    });
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code) => {
    if (stopping) return;
    console.error(`[dev] ${name} stopped (exit ${code}); stopping the rest.`);
    stop(code ?? 1);
  });
  children.push(child);
  return child;
}

// The app checks the authorization server once when it starts (a production server does so at
// once), so the sandbox must be listening first: it prints its addresses when it is.
const sandbox = start('sandbox', ['sandbox/index.js'], process.env);
await new Promise((resolve) => {
  const ready = (chunk) => {
    if (!chunk.toString().includes('authorization server')) return;
    sandbox.stdout.off('data', ready);
    resolve();
  };
  sandbox.stdout.on('data', ready);
  sandbox.on('exit', resolve);
});
if (!stopping) start('app', app, appEnv);

function stop(code) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  process.exitCode = code;
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

setTimeout(() => {
  if (stopping) return;
  const build = production ? ' (the production build: the app works offline after one visit)' : '';
  console.log(`\n[dev] Open ${ADDRESS}${build} and choose Sign in (demo account shown on the Fentu login page).\n`);
}, 2500);

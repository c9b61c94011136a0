// `npm run dev`: the sandbox (authorization server and Fentu API) and the app, side by side.
// Ctrl+C stops both; if either stops, the other is stopped too.

import { spawn } from 'node:child_process';

const children = [
  ['sandbox', process.execPath, ['sandbox/index.js']],
  ['app', process.execPath, ['node_modules/vite/bin/vite.js', 'dev']],
].map(([name, command, args]) => {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
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
  return child;
});

let stopping = false;
function stop(code) {
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  process.exitCode = code;
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

setTimeout(() => {
  if (!stopping)
    console.log(
      '\n[dev] Open http://127.0.0.1:5173 and choose Sign in (demo account shown on the Fentu login page).\n',
    );
}, 2500);

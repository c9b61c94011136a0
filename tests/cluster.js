// Several `node build` instances of the app sharing one real Redis, for the tests and the bench
// figures that claim behaviour across instances. Each caller starts its own redis-server on a free
// port (nothing is saved to disk) and its own instances, and stops them all afterwards.

import { spawn } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** A port nothing listens on right now. */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port`, or rejects after `ms`. */
async function listening(port, ms = 15_000) {
  const until = Date.now() + ms;
  for (;;) {
    const open = await new Promise((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), done(true)));
      socket.once('error', () => done(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`nothing listens on port ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops a child process and waits for it to exit. */
function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** A redis-server of the caller's own; `stop` and `start` again keep its port (and lose its data). */
export async function startRedis() {
  const port = await freePort();
  let child;
  const redis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      child = spawn('redis-server', args, { stdio: 'ignore' });
      await listening(port);
    },
    stop: () => stop(child),
  };
  await redis.start();
  return redis;
}

/** `count` instances of the production build (`build/`) with `env`, each on a port of its own. */
export async function startInstances(count, env) {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const children = [];
  const output = ports.map(() => []);

  async function start(i) {
    const child = spawn(process.execPath, ['build'], {
      cwd: ROOT,
      // Behind one address (ORIGIN in `env`), like instances behind a load balancer, or each its own.
      env: {
        ...process.env,
        ORIGIN: `http://127.0.0.1:${ports[i]}`,
        ...env,
        HOST: '127.0.0.1',
        PORT: String(ports[i]),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output[i].push(String(chunk)));
    children[i] = child;
    await listening(ports[i]);
  }

  await Promise.all(ports.map((_, i) => start(i)));
  return {
    origins: ports.map((port) => `http://127.0.0.1:${port}`),
    /** What instance `i` printed: its structured log lines among them. */
    output: (i) => output[i].join(''),
    stop: (i) => stop(children[i]),
    start,
    stopAll: () => Promise.all(children.map((child) => stop(child))),
  };
}

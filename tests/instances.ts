// Several `node build` instances of the app sharing one real Redis, for the tests that claim
// behaviour across instances. Each test file starts its own redis-server on a free port (nothing
// is saved to disk) and its own instances, and stops them all afterwards.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect } from 'node:net';
import { resolve } from 'node:path';
import { API_BASE_URL, ISSUER, M2M_ENV } from './harness';

const ROOT = resolve(import.meta.dirname, '..');

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port`, or rejects after `ms`. */
async function listening(port: number, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((done) => {
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
function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** A redis-server of the test's own; `stop` and `start` again keep its port (and lose its data). */
export async function startRedis() {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis = {
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      await listening(port);
    },
    stop: () => stop(child),
  };
  await redis.start();
  return redis;
}

/** The environment every instance shares: the e2e app's, with Redis and one sealing key. */
export function sharedEnvironment(redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PUBLIC_FENTU_ISSUER: ISSUER,
    PUBLIC_FENTU_CLIENT_ID: 'fieldpass',
    PUBLIC_FENTU_API_BASE_URL: API_BASE_URL,
    ...M2M_ENV,
    REDIS_URL: redisUrl,
    M2M_CACHE_KEY: randomBytes(32).toString('base64'),
    ...extra,
  };
}

/** `count` instances of the production build (`build/`), each on a port of its own. */
export async function startInstances(count: number, env: Record<string, string>) {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const children: (ChildProcess | undefined)[] = [];
  const output: string[][] = ports.map(() => []);

  async function start(i: number) {
    const origin = `http://127.0.0.1:${ports[i]}`;
    const child = spawn(process.execPath, ['build'], {
      cwd: ROOT,
      // Behind one address (ORIGIN in `env`) like instances behind a load balancer, or each its own.
      env: { ...process.env, ORIGIN: origin, ...env, HOST: '127.0.0.1', PORT: String(ports[i]) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => output[i].push(chunk.toString()));
    }
    children[i] = child;
    await listening(ports[i]);
  }

  await Promise.all(ports.map((_, i) => start(i)));
  return {
    origins: ports.map((port) => `http://127.0.0.1:${port}`),
    /** What instance `i` printed: its structured log lines among them. */
    output: (i: number) => output[i].join(''),
    stop: (i: number) => stop(children[i]),
    start,
    stopAll: () => Promise.all(children.map((child) => stop(child))),
  };
}

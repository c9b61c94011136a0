import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { createClient } from 'redis';
import { afterAll, beforeAll } from 'vitest';

/** A port nobody listens on right now: listen on 0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A throwaway redis-server (Debian's /usr/bin/redis-server) on its own port, without persistence.
 * `stop()` and `start()` again on the same port simulate an outage.
 */
export function redisServer(port: number) {
  let child: ChildProcess | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    async start(): Promise<void> {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
      for (let i = 0; i < 100; i += 1) {
        if (await accepts(port)) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`redis-server did not start on port ${port}`);
    },
    async stop(): Promise<void> {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A redis-server for a whole test file, started before its tests with a plain client on it (for
 * looking at what is stored), both stopped after them.
 */
export function useRedisServer() {
  const redis = {} as { server: ReturnType<typeof redisServer>; raw: ReturnType<typeof createClient> };
  beforeAll(async () => {
    redis.server = redisServer(await freePort());
    await redis.server.start();
    redis.raw = createClient({ url: redis.server.url });
    redis.raw.on('error', () => undefined);
    await redis.raw.connect();
  });
  afterAll(async () => {
    await redis.raw.close();
    await redis.server.stop();
  });
  return redis;
}

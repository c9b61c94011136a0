import { createClient, ErrorReply } from 'redis';
import type { StateHealth } from './state.js';
import { redisErrors } from '../metrics.js';

/** Error replies whose code means Redis is not serving commands right now. */
const NOT_SERVING = /^(LOADING|READONLY|OOM|MISCONF|NOAUTH|WRONGPASS|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;

/** The URL without credentials, path or query, for the log. */
function describeTarget(url: string): string {
  try {
    const { protocol, hostname, port } = new URL(url);
    return `${protocol}//${hostname}:${port || '6379'}`;
  } catch {
    return 'redis';
  }
}

/** Logs the start and the end of an outage, once each. */
function outageLog(target: string, warn: (line: string) => void) {
  let down = false;
  const line = (event: string, extra: object) => warn(JSON.stringify({ level: 'warn', event, target, ...extra }));
  return {
    down(err: unknown): void {
      if (down) return;
      down = true;
      // An error code or class name only: a message may quote the URL.
      const reason =
        (err as { code?: string })?.code ??
        (err instanceof ErrorReply ? err.message.split(' ')[0] : (err as object)?.constructor?.name) ??
        'unknown';
      line('shared_state_unavailable', {
        reason,
        fallback: 'tokens, locks, holds and rate limits per instance; one-time keys refused',
      });
    },
    up(): void {
      if (!down) return;
      down = false;
      line('shared_state_recovered', {});
    },
  };
}

/**
 * A connection to Redis that reconnects by itself, and `shared(work, fallback)`, which runs `work`
 * on Redis or, while Redis is unreachable, `fallback`; outages are logged once by `warn`.
 */
export function connectRedis(options: { url: string; commandTimeoutMs?: number; warn?: (line: string) => void }) {
  const outage = outageLog(describeTarget(options.url), options.warn ?? ((line) => console.warn(line)));
  // node-redis, the client Redis itself maintains: typed, reconnects on its own, runs Lua.
  // (ioredis is in maintenance mode.)
  const client = createClient({
    url: options.url,
    // Fail at once while disconnected, so callers fall back instead of waiting in a queue.
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000) },
  });
  client.on('error', (err) => outage.down(err));
  client.on('ready', () => outage.up());
  // Not awaited: until Redis answers, every operation falls back.
  client.connect().catch(() => undefined);

  const timeoutMs = options.commandTimeoutMs ?? 500;
  /** After a command timed out, Redis is not asked again for a second, so callers are not each held up. */
  let skipUntil = 0;

  /**
   * Runs `work` on Redis; while it is unreachable or not serving, `fallback` instead. node-redis
   * times a command out only while it waits to be sent, so the wait for the answer is bounded
   * here. A script error is a defect, not an outage, and is thrown.
   */
  async function shared<T>(work: () => Promise<T>, fallback: () => T | Promise<T>): Promise<T> {
    if (!client.isReady || Date.now() < skipUntil) return fallback();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('Redis did not answer in time'), { code: 'TIMEOUT' })),
        timeoutMs,
      );
    });
    try {
      const result = await Promise.race([work(), timeout]);
      outage.up();
      return result;
    } catch (err) {
      // Replies that say Redis is not serving (after a restart, a failover, out of memory, a
      // failed save, a password change) are an outage; any other error reply is a defect, thrown.
      if (err instanceof ErrorReply && !NOT_SERVING.test(err.message)) throw err;
      if ((err as { code?: string }).code === 'TIMEOUT') skipUntil = Date.now() + 1000;
      redisErrors.inc();
      outage.down(err);
      return fallback();
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    client,
    shared,
    /** Runs a Lua script (EVAL) with string arguments. */
    run: (script: string, keys: string[], args: (string | number)[]) =>
      client.eval(script, { keys, arguments: args.map(String) }),
    /** A PING round trip, bounded like every command. */
    ping(): Promise<boolean> {
      return shared(
        async () => (await client.ping()) === 'PONG',
        () => false,
      );
    },
    health(): StateHealth {
      return { kind: 'redis', shared: client.isReady && Date.now() >= skipUntil };
    },
    async close(): Promise<void> {
      // A client still reconnecting would wait for Redis to close politely; it is dropped instead.
      if (client.isReady) await client.close();
      else if (client.isOpen) client.destroy();
    },
  };
}

export type RedisConnection = ReturnType<typeof connectRedis>;

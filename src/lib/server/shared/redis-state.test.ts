import { randomBytes } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, useRedisServer } from './redis-server.test-util.js';
import { createRedisState } from './redis-state.js';
import { SharedStateUnavailableError, type SharedState } from './state.js';

const KEY = randomBytes(32);
const TOKEN = 'svc-token-canary-3b9f';

let opened: SharedState[] = [];
let prefix: string;
let warnings: string[];
let testIndex = 0;

/** One app instance's view of the shared state; every instance in a test shares the prefix. */
function instance(sealingKey: Uint8Array = KEY, commandTimeoutMs?: number): SharedState {
  const state = createRedisState({
    url: redis.server.url,
    sealingKey,
    keyPrefix: prefix,
    commandTimeoutMs,
    warn: (l) => warnings.push(l),
  });
  opened.push(state);
  return state;
}

async function ready(...states: SharedState[]): Promise<void> {
  for (let i = 0; i < 200 && !states.every((s) => s.health().shared); i += 1) await sleep(10);
  expect(states.map((s) => s.health().shared)).toEqual(states.map(() => true));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const later = (ms: number) => ({ value: TOKEN, expiresAt: Date.now() + ms });

const redis = useRedisServer();

beforeEach(() => {
  prefix = `test${(testIndex += 1)}:`;
  warnings = [];
});

afterEach(async () => {
  await Promise.all(opened.map((s) => s.close()));
  opened = [];
});

describe('tokens in Redis', () => {
  it('are shared between instances and sealed at rest: the raw value holds no token', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    expect(await a.putToken('fenergo', later(60_000))).toBe(true);

    expect((await b.getToken('fenergo'))?.value).toBe(TOKEN);
    const keys = await redis.raw.keys(`${prefix}*`);
    expect(keys).toEqual([`${prefix}token:{fenergo}`]);
    const stored = (await redis.raw.get(keys[0]))!;
    expect(stored).not.toContain(TOKEN);
    expect(Buffer.from(stored.replace(/[.]/g, ''), 'base64url').toString('latin1')).not.toContain(TOKEN);
    expect(await redis.raw.pTTL(keys[0])).toBeGreaterThan(59_000);
  });

  it('read as a miss under another sealing key, or when moved to another key', async () => {
    const [a, other] = [instance(), instance(randomBytes(32))];
    await ready(a, other);
    await a.putToken('fenergo', later(60_000));

    expect(await other.getToken('fenergo')).toBeUndefined();
    await redis.raw.copy(`${prefix}token:{fenergo}`, `${prefix}token:{fenris}`);
    expect(await a.getToken('fenris')).toBeUndefined();
    expect((await a.getToken('fenergo'))?.value).toBe(TOKEN);
  });

  it('a refused token is dropped once, however many instances drop it', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    await a.putToken('fenergo', later(60_000));

    const drops = await Promise.all([a, b, a, b].map((s) => s.dropTokenIf('fenergo', TOKEN)));
    expect(drops.filter(Boolean)).toHaveLength(1);
    expect(await b.getToken('fenergo')).toBeUndefined();
  });

  it('a drop of an older token leaves the newer one alone', async () => {
    const a = instance();
    await ready(a);
    await a.putToken('fenergo', { value: 'svc-token-2', expiresAt: Date.now() + 60_000 });
    expect(await a.dropTokenIf('fenergo', 'svc-token-1')).toBe(false);
    expect((await a.getToken('fenergo'))?.value).toBe('svc-token-2');
  });
});

describe('the token-request lock', () => {
  it('is held by one instance at a time; the fence rises; a stale holder cannot store its token', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    const first = await a.lock('fenergo', 100);
    expect(first).toBeGreaterThan(0);
    expect(await b.lock('fenergo', 100)).toBeUndefined();

    await sleep(150);
    const second = await b.lock('fenergo', 10_000);
    expect(second).toBe(first! + 1);
    await b.putToken('fenergo', { value: 'newer', expiresAt: Date.now() + 60_000 }, second);
    expect(await a.putToken('fenergo', { value: 'stale', expiresAt: Date.now() + 60_000 }, first)).toBe(false);
    expect((await a.getToken('fenergo'))?.value).toBe('newer');

    await a.unlock('fenergo', first!);
    expect(await a.lock('fenergo', 100)).toBeUndefined();
    await b.unlock('fenergo', second!);
    expect(await a.lock('fenergo', 100)).toBe(second! + 1);
  });
});

describe('holds, rate limits, one-time keys and the cache', () => {
  it('a hold set by one instance is honoured by the other until it lapses', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    await a.setHold('upstream:fenergo', { until: Date.now() + 150, code: 'rate_limited' });
    expect((await b.getHold('upstream:fenergo'))?.code).toBe('rate_limited');
    await sleep(200);
    expect(await b.getHold('upstream:fenergo')).toBeUndefined();
  });

  it('limit 100: of 150 concurrent takes on two instances exactly 100 are allowed', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    const decisions = await Promise.all(
      Array.from({ length: 150 }, (_, i) => (i % 2 ? a : b).take('provider:fenergo', 100, 60_000)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
    const refused = decisions.filter((d) => !d.allowed);
    expect(refused.every((d) => d.retryAfterSeconds >= 59 && d.retryAfterSeconds <= 60)).toBe(true);
  });

  it('a window ends whole: after it, requests are allowed again', async () => {
    const a = instance();
    await ready(a);
    expect((await a.take('k', 1, 100)).allowed).toBe(true);
    expect(await a.take('k', 1, 100)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    await sleep(150);
    expect((await a.take('k', 1, 100)).allowed).toBe(true);
  });

  it('firstUse is true exactly once across instances', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    const uses = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).firstUse('jti:abc', 60_000)));
    expect(uses.filter(Boolean)).toHaveLength(1);
  });

  it('getJson returns what setJson stored on another instance, sealed at rest, until it expires', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    await a.setJson('introspection:x', { active: true, sub: TOKEN }, 150);
    expect(await b.getJson('introspection:x')).toEqual({ active: true, sub: TOKEN });
    expect(await redis.raw.get(`${prefix}json:introspection:x`)).not.toContain(TOKEN);
    await sleep(200);
    expect(await b.getJson('introspection:x')).toBeUndefined();
  });
});

describe('when Redis stops', () => {
  it('falls back as documented, logs once without secrets, and shares again after a restart', async () => {
    const [a, b] = [instance(), instance()];
    await ready(a, b);
    expect(await a.ping()).toBe(true);

    await redis.server.stop();
    try {
      await a.putToken('fenergo', later(60_000));
      expect((await a.getToken('fenergo'))?.value).toBe(TOKEN);
      expect(await b.getToken('fenergo')).toBeUndefined();
      // A lock of this instance's own: its fence is negative, never taken for one of Redis's.
      const fence = await a.lock('fenergo', 10_000);
      expect(fence).toBeLessThan(0);
      expect(await a.putToken('fenergo', later(60_000), fence)).toBe(true);
      await a.unlock('fenergo', fence!);
      expect(await a.lock('fenergo', 10_000)).toBeLessThan(0);
      expect((await a.take('k', 1, 60_000)).allowed).toBe(true);
      expect((await a.take('k', 1, 60_000)).allowed).toBe(false);
      expect((await b.take('k', 1, 60_000)).allowed).toBe(true);
      await expect(a.firstUse('jti:x', 60_000)).rejects.toBeInstanceOf(SharedStateUnavailableError);
      expect(await a.ping()).toBe(false);
      expect(a.health()).toEqual({ kind: 'redis', shared: false });
    } finally {
      await redis.server.start();
    }
    await ready(a, b);

    expect(await a.firstUse('jti:x', 60_000)).toBe(true);
    expect(await b.getToken('fenergo')).toBeUndefined();
    await b.putToken('fenergo', later(60_000));
    expect((await a.getToken('fenergo'))?.value).toBe(TOKEN);
    const events = warnings.map((l) => JSON.parse(l).event);
    expect(events).toEqual([
      'shared_state_unavailable',
      'shared_state_unavailable',
      'shared_state_recovered',
      'shared_state_recovered',
    ]);
    expect(warnings.join('\n')).not.toContain(TOKEN);
  });

  it('a Redis that stops answering: each command falls back after its timeout, and fails closed for firstUse', async () => {
    const a = instance(KEY, 100);
    await ready(a);
    await redis.raw.sendCommand(['CLIENT', 'PAUSE', '600', 'ALL']);

    const started = Date.now();
    expect(await a.putToken('fenergo', later(60_000))).toBe(true);
    expect((await a.getToken('fenergo'))?.value).toBe(TOKEN);
    expect((await a.take('k', 5, 60_000)).allowed).toBe(true);
    await expect(a.firstUse('jti:y', 60_000)).rejects.toBeInstanceOf(SharedStateUnavailableError);
    expect(await a.ping()).toBe(false);
    expect(a.health().shared).toBe(false);
    expect(Date.now() - started).toBeLessThan(550);
    expect(warnings.map((l) => JSON.parse(l).event)).toEqual(['shared_state_unavailable']);
  });

  it('a Redis that refuses writes (out of memory): writes fall back like an outage, not a failure of the call', async () => {
    const a = instance();
    await ready(a);
    await redis.raw.sendCommand(['CONFIG', 'SET', 'maxmemory', '1']);
    try {
      expect(await a.putToken('fenergo', later(60_000))).toBe(true);
      expect((await a.take('k', 5, 60_000)).allowed).toBe(true);
      await expect(a.firstUse('jti:z', 60_000)).rejects.toBeInstanceOf(SharedStateUnavailableError);
      expect(warnings.map((l) => JSON.parse(l))).toMatchObject([{ event: 'shared_state_unavailable', reason: 'OOM' }]);
    } finally {
      await redis.raw.sendCommand(['CONFIG', 'SET', 'maxmemory', '0']);
    }
  });

  it('never prints the password of the URL', async () => {
    const state = createRedisState({
      url: `redis://user:hunter2-secret@127.0.0.1:${await freePort()}`,
      sealingKey: KEY,
      warn: (l) => warnings.push(l),
    });
    opened.push(state);
    await expect(state.firstUse('x', 1000)).rejects.toBeInstanceOf(SharedStateUnavailableError);
    for (let i = 0; i < 100 && !warnings.length; i += 1) await sleep(10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('hunter2');
    expect(JSON.parse(warnings[0])).toMatchObject({ event: 'shared_state_unavailable', reason: 'ECONNREFUSED' });
  });
});

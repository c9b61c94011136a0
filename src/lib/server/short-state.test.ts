import { describe, expect, it } from 'vitest';
import { createMemoryReplayGuard, createMemoryShortCache } from './short-state.js';

function fakeClock() {
  const clock = { at: 1_800_000_000_000, now: () => clock.at, advance: (ms: number) => void (clock.at += ms) };
  return clock;
}

describe('createMemoryShortCache', () => {
  it('answers a value until its TTL has passed, then undefined', async () => {
    const clock = fakeClock();
    const cache = createMemoryShortCache({ now: clock.now });
    await cache.setJson('k', { active: true }, 1000);
    clock.advance(999);
    expect(await cache.getJson('k')).toEqual({ active: true });
    clock.advance(1);
    expect(await cache.getJson('k')).toBeUndefined();
  });

  it('hands out copies, as a shared store would', async () => {
    const cache = createMemoryShortCache();
    const value = { scope: 'a' };
    await cache.setJson('k', value, 1000);
    value.scope = 'changed';
    const read = (await cache.getJson('k')) as { scope: string };
    read.scope = 'changed too';
    expect(await cache.getJson('k')).toEqual({ scope: 'a' });
  });

  it('keeps nothing for a TTL of 0 or less, and at most maxEntries', async () => {
    const cache = createMemoryShortCache({ maxEntries: 2 });
    await cache.setJson('zero', 1, 0);
    expect(await cache.getJson('zero')).toBeUndefined();
    for (const key of ['a', 'b', 'c']) await cache.setJson(key, key, 60_000);
    expect(cache.size).toBe(2);
    expect(await cache.getJson('a')).toBeUndefined();
    expect(await cache.getJson('c')).toBe('c');
  });
});

describe('createMemoryReplayGuard', () => {
  it('first use true, then false until the TTL has passed, then true again', async () => {
    const clock = fakeClock();
    const guard = createMemoryReplayGuard({ now: clock.now });
    expect(await guard.firstUse('k', 1000)).toBe(true);
    expect(await guard.firstUse('k', 1000)).toBe(false);
    clock.advance(999);
    expect(await guard.firstUse('k', 1000)).toBe(false);
    clock.advance(1);
    expect(await guard.firstUse('k', 1000)).toBe(true);
  });

  it('sweeps expired keys and keeps at most maxEntries', async () => {
    const clock = fakeClock();
    const guard = createMemoryReplayGuard({ now: clock.now, maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) await guard.firstUse(key, 10_000);
    expect(guard.size).toBe(3);
    clock.advance(10_000);
    await guard.firstUse('e', 10_000);
    expect(guard.size).toBe(1);
  });
});

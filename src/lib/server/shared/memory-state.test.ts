import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryState } from './memory-state.js';
import type { SharedState } from './state.js';

let clock: number;
let state: SharedState;

beforeEach(() => {
  clock = 1_000_000;
  state = createMemoryState(() => clock);
});

describe('createMemoryState', () => {
  it('a token is read until its expiresAt, and dropped only while it is still the given value', async () => {
    await state.putToken('p', { value: 't1', expiresAt: clock + 1000 });
    expect(await state.dropTokenIf('p', 't0')).toBe(false);
    expect((await state.getToken('p'))?.value).toBe('t1');
    clock += 999;
    expect(await state.getToken('p')).toEqual({ value: 't1', expiresAt: clock + 1 });
    clock += 1;
    expect(await state.getToken('p')).toBeUndefined();

    await state.putToken('p', { value: 't2', expiresAt: clock + 1000 });
    expect(await state.dropTokenIf('p', 't2')).toBe(true);
    expect(await state.dropTokenIf('p', 't2')).toBe(false);
  });

  it('the lock is exclusive until released or expired; a stale fence cannot store a token', async () => {
    const first = await state.lock('p', 100);
    expect(await state.lock('p', 100)).toBeUndefined();
    clock += 100;
    const second = await state.lock('p', 100);
    expect(second).toBe(first! + 1);
    expect(await state.putToken('p', { value: 'stale', expiresAt: clock + 1000 }, first)).toBe(false);
    expect(await state.putToken('p', { value: 'fresh', expiresAt: clock + 1000 }, second)).toBe(true);
    await state.unlock('p', first!);
    expect(await state.lock('p', 100)).toBeUndefined();
    await state.unlock('p', second!);
    expect(await state.lock('p', 100)).toBe(second! + 1);
  });

  it('take: a fixed window of `limit` requests from the first one, then Retry-After until it ends', async () => {
    for (let i = 0; i < 3; i += 1)
      expect(await state.take('k', 3, 10_000)).toEqual({ allowed: true, retryAfterSeconds: 0 });
    clock += 2_500;
    expect(await state.take('k', 3, 10_000)).toEqual({ allowed: false, retryAfterSeconds: 8 });
    expect((await state.take('other', 3, 10_000)).allowed).toBe(true);
    clock += 7_500;
    expect((await state.take('k', 3, 10_000)).allowed).toBe(true);
  });

  it('firstUse is true once per key until it expires; holds and JSON lapse at their deadline', async () => {
    expect(await state.firstUse('jti', 1000)).toBe(true);
    expect(await state.firstUse('jti', 1000)).toBe(false);
    await state.setHold('h', { until: clock + 10, code: 'rate_limited' });
    await state.setJson('j', { a: 1 }, 10);
    expect(await state.getHold('h')).toEqual({ until: clock + 10, code: 'rate_limited' });
    expect(await state.getJson('j')).toEqual({ a: 1 });
    clock += 1000;
    expect(await state.firstUse('jti', 1000)).toBe(true);
    expect(await state.getHold('h')).toBeUndefined();
    expect(await state.getJson('j')).toBeUndefined();
    expect(state.health()).toEqual({ kind: 'memory', shared: false });
  });
});

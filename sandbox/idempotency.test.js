import { describe, expect, it } from 'vitest';
import { createIdempotencyStore, parseIdempotencyKey } from './idempotency.js';

describe('parseIdempotencyKey', () => {
  it.each([
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"a\\"b"', 'a"b'],
    [undefined, undefined],
  ])('%s → %s', (header, key) => {
    expect(parseIdempotencyKey(header)).toEqual({ key });
  });

  it.each([['8e03978e'], ['""'], [`"${'x'.repeat(256)}"`], ['"caf\u00e9"'], [['"a"', '"b"']]])(
    'refuses %s',
    (header) => {
      expect(parseIdempotencyKey(header).error).toBeTypeOf('string');
    },
  );
});

describe('createIdempotencyStore', () => {
  it('replays a completed request with the same key and body, refuses another body with 422', () => {
    const store = createIdempotencyStore();
    const first = store.begin('c\nu', 'k1', '{"a":1}');
    first.proceed(201, { id: 'WO-1' });
    expect(store.begin('c\nu', 'k1', '{"a":1}').replay).toMatchObject({ status: 201, body: { id: 'WO-1' } });
    expect(store.begin('c\nu', 'k1', '{"a":2}')).toEqual({ conflict: 422 });
  });

  it('answers 409 while the first request with the key is still being processed', () => {
    const store = createIdempotencyStore();
    const first = store.begin('c\nu', 'k1', '{}');
    expect(store.begin('c\nu', 'k1', '{}')).toEqual({ conflict: 409 });
    first.proceed(201, {});
    expect(store.begin('c\nu', 'k1', '{}').replay).toBeDefined();
  });

  it('keeps keys per caller, forgets refusals, expires after the TTL and stays bounded', () => {
    let clock = 0;
    const store = createIdempotencyStore({ ttlMs: 1_000, maxKeys: 2, now: () => clock });
    store.begin('c\nu', 'k1', '{}').proceed(201, {});
    expect(store.begin('c\nother', 'k1', '{}').proceed).toBeTypeOf('function');
    store.begin('c\nu', 'k2', '{}').proceed(400, {});
    expect(store.begin('c\nu', 'k2', '{}').proceed).toBeTypeOf('function');
    clock = 1_001;
    expect(store.begin('c\nu', 'k1', '{}').proceed).toBeTypeOf('function');
    for (let i = 0; i < 10; i += 1) store.begin('c\nu', `n${i}`, '{}').proceed(201, {});
    expect(store.size).toBeLessThanOrEqual(2);
  });
});

import * as oauth from 'oauth4webapi';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../base/memory-store.js';
import type { ServerEndpoints } from './authorization-server.js';
import {
  assertTokenType,
  attemptKeyName,
  DPOP_KEY,
  dpopHandle,
  dpopKeyPair,
  requireDpopHandle,
  supportsDpop,
  withNonceRetry,
} from './dpop.js';
import { FieldpassError } from '../base/errors.js';
import {
  jwkThumbprint,
  jwtPart,
  keyPairThumbprint,
  proofOf,
  rejectionOf,
  s256,
  TEST_SERVER,
} from './fake-fetch.test-util.js';
import { type CoreRuntime } from './runtime.js';
import { inProcessLock, type Lock } from '../base/lock.js';

let store: ReturnType<typeof createMemoryStore>;
let runtime: CoreRuntime;

beforeEach(() => {
  store = createMemoryStore();
  runtime = { store };
});

/** The DPoP header a handle puts on one resource request (RFC 9449 §7), as the server receives it. */
async function proofHeader(handle: oauth.DPoPHandle, url: string, method = 'GET', accessToken = 'at-1') {
  let dpop: string | undefined;
  await oauth.protectedResourceRequest(accessToken, method, new URL(url), new Headers(), undefined, {
    DPoP: handle,
    [oauth.customFetch]: async (_url, options) => {
      dpop = new Headers(options.headers).get('dpop') ?? undefined;
      return new Response(null, { status: 204 });
    },
  });
  expect(dpop).toEqual(expect.any(String));
  return dpop!;
}

/** That proof, decoded and signature-checked. */
async function proofFrom(handle: oauth.DPoPHandle, url: string, method?: string, accessToken?: string) {
  return proofOf({ headers: { dpop: await proofHeader(handle, url, method, accessToken) } });
}

const storedThumbprint = async () => keyPairThumbprint(store.data.get(DPOP_KEY) as CryptoKeyPair);

describe('dpopKeyPair', () => {
  it('#75 creates an ES256 key pair at key:dpop whose private key cannot be exported', async () => {
    const pair = await dpopKeyPair(runtime);

    const stored = store.data.get(DPOP_KEY) as CryptoKeyPair;
    expect(stored.privateKey).toBeInstanceOf(CryptoKey);
    for (const key of [pair.privateKey, stored.privateKey]) {
      expect(key.extractable).toBe(false);
      expect(key.algorithm).toEqual({ name: 'ECDSA', namedCurve: 'P-256' });
      await expect(crypto.subtle.exportKey('jwk', key)).rejects.toThrow();
      await expect(crypto.subtle.exportKey('pkcs8', key)).rejects.toThrow();
    }
    expect(await keyPairThumbprint(pair)).toBe(await storedThumbprint());
  });

  it('#75 gives the same key when read again, and after a reload the same key signs', async () => {
    const first = await keyPairThumbprint(await dpopKeyPair(runtime));
    expect(await keyPairThumbprint(await dpopKeyPair(runtime))).toBe(first);

    const reloaded: CoreRuntime = { store };
    expect(await keyPairThumbprint(await dpopKeyPair(reloaded))).toBe(first);
    const proof = await proofFrom((await dpopHandle(reloaded))!, 'https://rs.example/x');
    expect(await jwkThumbprint(proof.header.jwk!)).toBe(first);
    expect(store.data.size).toBe(1);
  });

  it('create makes a different key and stores it in place of the old one', async () => {
    const old = await keyPairThumbprint(await dpopKeyPair(runtime));
    const fresh = await keyPairThumbprint(await dpopKeyPair(runtime, DPOP_KEY, true));
    expect(fresh).not.toBe(old);
    expect(await storedThumbprint()).toBe(fresh);
    expect([...store.data.keys()]).toEqual([DPOP_KEY]);
  });

  it('two callers at once get one key, created under the fieldpass-dpop-key lock', async () => {
    const names: string[] = [];
    const lock: Lock = (name, work) => {
      names.push(name);
      return inProcessLock(name, work);
    };
    runtime = { store, lock };
    const pairs = await Promise.all([dpopKeyPair(runtime), dpopKeyPair({ store, lock })]);
    const [a, b] = await Promise.all(pairs.map(keyPairThumbprint));
    expect(a).toBe(b);
    expect(await storedThumbprint()).toBe(a);
    expect(names).toEqual(['fieldpass-dpop-key', 'fieldpass-dpop-key']);
  });

  it('attemptKeyName puts an attempt’s key under key:dpop:<state>', () => {
    expect(attemptKeyName('abc_-123')).toBe('key:dpop:abc_-123');
    expect(attemptKeyName('abc')).not.toBe(DPOP_KEY);
  });

  it('a named key is stored under its name only, made under the same lock, and read again there', async () => {
    const names: string[] = [];
    runtime = {
      store,
      lock: (name, work) => {
        names.push(name);
        return inProcessLock(name, work);
      },
    };
    const device = await keyPairThumbprint(await dpopKeyPair(runtime));
    const name = attemptKeyName('state-1');

    const made = await keyPairThumbprint(await dpopKeyPair(runtime, name, true));

    expect(made).not.toBe(device);
    expect(await keyPairThumbprint(store.data.get(name) as CryptoKeyPair)).toBe(made);
    expect(await storedThumbprint()).toBe(device);
    expect([...store.data.keys()].sort()).toEqual([DPOP_KEY, name]);
    expect((store.data.get(name) as CryptoKeyPair).privateKey.extractable).toBe(false);
    // Without create, the pair stored under the name is given back.
    expect(await keyPairThumbprint(await dpopKeyPair(runtime, name))).toBe(made);
    expect(names).toEqual(['fieldpass-dpop-key', 'fieldpass-dpop-key', 'fieldpass-dpop-key']);
  });

  it('create makes a new pair under a name even when one is stored there', async () => {
    const name = attemptKeyName('state-1');
    const first = await keyPairThumbprint(await dpopKeyPair(runtime, name, true));
    const second = await keyPairThumbprint(await dpopKeyPair(runtime, name, true));
    expect(second).not.toBe(first);
    expect(await keyPairThumbprint(store.data.get(name) as CryptoKeyPair)).toBe(second);
    expect([...store.data.keys()]).toEqual([name]);
  });
});

describe('dpopHandle and requireDpopHandle', () => {
  it('no stored key → no handle, and requireDpopHandle throws SESSION_ENDED', async () => {
    expect(await dpopHandle(runtime)).toBeUndefined();
    const err = await rejectionOf(requireDpopHandle(runtime));
    expect(err.code).toBe('SESSION_ENDED');
    expect(store.data.size).toBe(0);
  });

  it('#79 the handle signs with the stored key, and with the new one after it is made again', async () => {
    await dpopKeyPair(runtime);
    const before = await proofFrom(await requireDpopHandle(runtime), 'https://rs.example/x');
    expect(await jwkThumbprint(before.header.jwk!)).toBe(await storedThumbprint());

    await dpopKeyPair(runtime, DPOP_KEY, true);
    const after = await proofFrom(await requireDpopHandle(runtime), 'https://rs.example/x');
    expect(await jwkThumbprint(after.header.jwk!)).toBe(await storedThumbprint());
    expect(after.header.jwk).not.toEqual(before.header.jwk);
  });

  it('each name has its own handle: a proof for a named key is signed by that key, not the device key', async () => {
    const name = attemptKeyName('state-1');
    await dpopKeyPair(runtime);
    await dpopKeyPair(runtime, name, true);

    const device = await proofFrom(await requireDpopHandle(runtime), 'https://rs.example/x');
    const attempt = await proofFrom(await requireDpopHandle(runtime, name), 'https://rs.example/x');

    expect(await jwkThumbprint(device.header.jwk!)).toBe(await storedThumbprint());
    expect(await jwkThumbprint(attempt.header.jwk!)).toBe(
      await keyPairThumbprint(store.data.get(name) as CryptoKeyPair),
    );
    expect(attempt.header.jwk).not.toEqual(device.header.jwk);
  });

  it('#77 handles are kept per key: each remembers the nonce the server gave it while the other signs', async () => {
    const name = attemptKeyName('state-1');
    await dpopKeyPair(runtime);
    await dpopKeyPair(runtime, name, true);
    /** A resource request whose answer hands the handle a nonce (RFC 9449 §9). */
    const learn = async (handle: oauth.DPoPHandle, nonce: string) =>
      oauth.protectedResourceRequest('at-1', 'GET', new URL('https://rs.example/x'), new Headers(), undefined, {
        DPoP: handle,
        [oauth.customFetch]: async () => new Response(null, { status: 204, headers: { 'dpop-nonce': nonce } }),
      });

    await learn(await requireDpopHandle(runtime), 'nonce-device');
    await learn(await requireDpopHandle(runtime, name), 'nonce-attempt');

    const device = await proofFrom(await requireDpopHandle(runtime), 'https://rs.example/y');
    const attempt = await proofFrom(await requireDpopHandle(runtime, name), 'https://rs.example/y');
    expect(device.payload.nonce).toBe('nonce-device');
    expect(attempt.payload.nonce).toBe('nonce-attempt');
  });

  it('a missing named key → no handle and SESSION_ENDED, even with a device key stored', async () => {
    await dpopKeyPair(runtime);
    const name = attemptKeyName('gone');
    expect(await dpopHandle(runtime, name)).toBeUndefined();
    expect((await rejectionOf(requireDpopHandle(runtime, name))).code).toBe('SESSION_ENDED');
    expect([...store.data.keys()]).toEqual([DPOP_KEY]);
  });

  it('#76 proof contents: dpop+jwt, ES256, public jwk only, htm, htu without query or fragment, iat, ath', async () => {
    await dpopKeyPair(runtime);
    const proof = await proofFrom(await requireDpopHandle(runtime), 'https://rs.example/x?y=1#z', 'GET', 'at-1');
    expect(proof.header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: expect.any(Object) });
    expect(proof.header.jwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    expect(proof.payload).toEqual({
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
      htm: 'GET',
      htu: 'https://rs.example/x',
      iat: expect.any(Number),
      ath: await s256('at-1'),
    });
    expect(Math.abs(proof.payload.iat! - Date.now() / 1000)).toBeLessThan(60);
  });

  it('#76 1,000 proofs carry 1,000 different jti values', async () => {
    await dpopKeyPair(runtime);
    const handle = await requireDpopHandle(runtime);
    const jtis = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      jtis.add(jwtPart<{ jti: string }>(await proofHeader(handle, 'https://rs.example/x'), 1).jti);
    }
    expect(jtis.size).toBe(1000);
  });
});

describe('withNonceRetry (#77)', () => {
  const nonceBodyError = () =>
    new oauth.ResponseBodyError('use_dpop_nonce', {
      cause: { error: 'use_dpop_nonce' },
      response: new Response(null, { status: 400 }),
    });
  const nonceChallengeError = () =>
    new oauth.WWWAuthenticateChallengeError('use_dpop_nonce', {
      cause: [{ scheme: 'dpop', parameters: { error: 'use_dpop_nonce' } }],
      response: new Response(null, { status: 401 }),
    });
  const otherBodyError = () =>
    new oauth.ResponseBodyError('invalid_grant', {
      cause: { error: 'invalid_grant' },
      response: new Response(null, { status: 400 }),
    });
  const bearerChallengeError = () =>
    new oauth.WWWAuthenticateChallengeError('invalid_token', {
      cause: [{ scheme: 'bearer', parameters: { error: 'use_dpop_nonce' } }],
      response: new Response(null, { status: 401 }),
    });

  type Outcome = 'ok' | (() => Error);
  const cases: { name: string; outcomes: Outcome[]; calls: number; result: 'ok' | 'second' | 'first' }[] = [
    { name: 'success at once', outcomes: ['ok'], calls: 1, result: 'ok' },
    { name: 'token endpoint nonce error, then success', outcomes: [nonceBodyError, 'ok'], calls: 2, result: 'ok' },
    { name: 'API nonce challenge, then success', outcomes: [nonceChallengeError, 'ok'], calls: 2, result: 'ok' },
    {
      name: 'two nonce errors in a row',
      outcomes: [nonceBodyError, nonceBodyError, 'ok'],
      calls: 2,
      result: 'second',
    },
    { name: 'another OAuth error', outcomes: [otherBodyError, 'ok'], calls: 1, result: 'first' },
    {
      name: 'a Bearer challenge naming use_dpop_nonce',
      outcomes: [bearerChallengeError, 'ok'],
      calls: 1,
      result: 'first',
    },
    { name: 'a network error', outcomes: [() => new TypeError('Failed to fetch'), 'ok'], calls: 1, result: 'first' },
  ];

  it.each(cases)('$name → $calls attempt(s)', async ({ outcomes, calls, result }) => {
    const thrown: Error[] = [];
    let count = 0;
    const attempt = async () => {
      const outcome = outcomes[count++];
      if (outcome === 'ok') return 'value';
      const err = outcome();
      thrown.push(err);
      throw err;
    };

    const settled = await withNonceRetry(attempt).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

    expect(count).toBe(calls);
    if (result === 'ok') expect(settled).toEqual({ value: 'value' });
    else expect(settled).toEqual({ error: thrown[result === 'first' ? 0 : 1] });
  });
});

describe('assertTokenType (#78)', () => {
  const tokens = (token_type: string) => ({ access_token: 'at', token_type }) as oauth.TokenEndpointResponse;

  it.each([
    ['DPoP', true],
    ['dpop', true],
    ['Bearer', false],
    ['bearer', false],
  ])('accepts %j when DPoP is %s', (type, dpop) => {
    expect(() => assertTokenType(tokens(type), dpop)).not.toThrow();
  });

  it.each([
    ['#78 Bearer when DPoP was used', 'Bearer', true],
    ['#78 bearer when DPoP was used', 'bearer', true],
    ['DPoP when DPoP was not used', 'DPoP', false],
    ['mac with DPoP', 'mac', true],
    ['mac without DPoP', 'mac', false],
    ['empty with DPoP', '', true],
    ['empty without DPoP', '', false],
    ['DPoP with trailing space', 'DPoP ', true],
    ['Bearer with trailing space', 'Bearer ', false],
  ])('%s → TOKEN_RESPONSE_INVALID', (_name, type, dpop) => {
    let caught: unknown;
    try {
      assertTokenType(tokens(type), dpop);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FieldpassError);
    expect((caught as FieldpassError).code).toBe('TOKEN_RESPONSE_INVALID');
  });
});

describe('supportsDpop', () => {
  const withAlgs = (algs: string[] | undefined): ServerEndpoints => ({
    ...TEST_SERVER,
    dpop_signing_alg_values_supported: algs,
  });

  it.each([
    [undefined, false],
    [[], false],
    [['RS256'], false],
    [['es256'], false],
    [['ES256'], true],
    [['RS256', 'ES256', 'EdDSA'], true],
  ])('dpop_signing_alg_values_supported %j → %s', (algs, expected) => {
    expect(supportsDpop(withAlgs(algs))).toBe(expected);
  });
});

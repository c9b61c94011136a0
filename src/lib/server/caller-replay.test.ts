import { describe, expect, it } from 'vitest';
import { jsonResponse } from '../oauth/fake-fetch.test-util.js';
import { verifyCaller } from './caller.js';
import { CallerError, CallerUnavailableError } from './caller-errors.js';
import { activeAnswer, callerSetup, dpopKey, fakeClock, issuerKey, routeRequest } from './caller-fixtures.test-util.js';
import { DPOP_PROOF_WINDOW_SECONDS } from './dpop-proof.js';
import type { ReplayGuard } from './short-state.js';

const OPAQUE = 'opaque-dpop-bound-token-9c2e';

function outcome(promise: Promise<unknown>) {
  return promise.then(
    (caller) => caller,
    (err: unknown) => err,
  );
}

/** A DPoP-bound opaque token (the introspection answer carries `cnf.jkt`), its key and a fake clock. */
async function boundSetup(replay?: (clock: ReturnType<typeof fakeClock>) => ReplayGuard) {
  const key = await dpopKey();
  const clock = fakeClock();
  const setup = callerSetup(
    () => jsonResponse(activeAnswer(clock.now(), 3600, { token_type: 'DPoP', cnf: { jkt: key.jkt } })),
    { clock, replay: replay?.(clock) },
  );
  const seconds = () => Math.floor(clock.now() / 1000);
  return { ...setup, key, seconds };
}

function expectReplayRefusal(err: unknown) {
  expect(err).toBeInstanceOf(CallerError);
  expect((err as CallerError).status).toBe(401);
  expect((err as CallerError).error).toBe('invalid_dpop_proof');
  expect((err as CallerError).challenge).toMatch(/^DPoP error="invalid_dpop_proof", /);
}

describe('DPoP proofs are accepted once (RFC 9449 §11.1)', () => {
  it('first use → the caller; the same proof again → 401 invalid_dpop_proof with a DPoP challenge', async () => {
    const { deps, key, seconds } = await boundSetup();
    const proof = await key.proof(OPAQUE, { iat: seconds() });

    expect(await verifyCaller(routeRequest(`DPoP ${OPAQUE}`, proof), deps)).toMatchObject({ sub: 'user-1' });
    expectReplayRefusal(await outcome(verifyCaller(routeRequest(`DPoP ${OPAQUE}`, proof), deps)));
  });

  it('a new proof with a new jti is accepted; the same jti from another key is not confused with it', async () => {
    const { deps, key, seconds } = await boundSetup();
    await verifyCaller(routeRequest(`DPoP ${OPAQUE}`, await key.proof(OPAQUE, { iat: seconds(), jti: 'a' })), deps);
    expect(
      await verifyCaller(routeRequest(`DPoP ${OPAQUE}`, await key.proof(OPAQUE, { iat: seconds(), jti: 'b' })), deps),
    ).toMatchObject({ sub: 'user-1' });
    const other = await dpopKey();
    const answer = activeAnswer(Date.now(), 3600, { cnf: { jkt: other.jkt } });
    const second = callerSetup(() => jsonResponse(answer), { replay: deps.replay, clock: fakeClock(Date.now()) });
    const proof = await other.proof(OPAQUE, { iat: Math.floor(Date.now() / 1000), jti: 'a' });
    expect(await verifyCaller(routeRequest(`DPoP ${OPAQUE}`, proof), second.deps)).toMatchObject({ sub: 'user-1' });
  });

  it('the jti is remembered as long as its proof is acceptable: a proof dated 300 s ahead is refused on replay 600 s later', async () => {
    const { deps, key, seconds, clock } = await boundSetup();
    const proof = await key.proof(OPAQUE, { iat: seconds() + DPOP_PROOF_WINDOW_SECONDS });
    await verifyCaller(routeRequest(`DPoP ${OPAQUE}`, proof), deps);

    clock.advance(2 * DPOP_PROOF_WINDOW_SECONDS * 1000);
    expectReplayRefusal(await outcome(verifyCaller(routeRequest(`DPoP ${OPAQUE}`, proof), deps)));
    clock.advance(1000);
    // Past the window the proof is refused as stale, whatever the guard remembers.
    const stale = await outcome(verifyCaller(routeRequest(`DPoP ${OPAQUE}`, proof), deps));
    expect((stale as CallerError).message).toMatch(/not recent/);
  });

  it('after the TTL the jti is forgotten: a new proof reusing it is accepted', async () => {
    const { deps, key, seconds, clock } = await boundSetup();
    await verifyCaller(
      routeRequest(`DPoP ${OPAQUE}`, await key.proof(OPAQUE, { iat: seconds(), jti: 'reused' })),
      deps,
    );
    clock.advance(DPOP_PROOF_WINDOW_SECONDS * 1000);
    expectReplayRefusal(
      await outcome(
        verifyCaller(routeRequest(`DPoP ${OPAQUE}`, await key.proof(OPAQUE, { iat: seconds(), jti: 'reused' })), deps),
      ),
    );
    clock.advance(1000);
    expect(
      await verifyCaller(
        routeRequest(`DPoP ${OPAQUE}`, await key.proof(OPAQUE, { iat: seconds(), jti: 'reused' })),
        deps,
      ),
    ).toMatchObject({ sub: 'user-1' });
  });

  it('asks the guard with a hashed key and a TTL reaching the end of the iat window', async () => {
    const calls: [string, number][] = [];
    const { deps, key, seconds } = await boundSetup(() => ({
      firstUse: async (k, ttl) => (calls.push([k, ttl]), true),
    }));
    await verifyCaller(
      routeRequest(`DPoP ${OPAQUE}`, await key.proof(OPAQUE, { iat: seconds() - 100, jti: 'j-1' })),
      deps,
    );
    expect(calls).toHaveLength(1);
    expect(calls[0][0]).toMatch(/^dpop-jti:[A-Za-z0-9_-]{43}$/);
    expect(calls[0][0]).not.toContain('j-1');
    expect(calls[0][1]).toBe((DPOP_PROOF_WINDOW_SECONDS - 100 + 1) * 1000);
  });

  it('a guard that cannot answer → 503, not 401 (fails closed), with one warning', async () => {
    const { deps, key, seconds, warnings } = await boundSetup(() => ({
      firstUse: () => Promise.reject(new Error('ECONNREFUSED')),
    }));
    const err = await outcome(
      verifyCaller(routeRequest(`DPoP ${OPAQUE}`, await key.proof(OPAQUE, { iat: seconds() })), deps),
    );
    expect(err).toBeInstanceOf(CallerUnavailableError);
    expect((err as CallerUnavailableError).status).toBe(503);
    expect(warnings).toEqual([expect.stringContaining('replay store')]);
  });

  it('a JWT access token bound to the key: the proof oauth4webapi verified is also accepted once', async () => {
    const issuer = await issuerKey();
    const key = await dpopKey();
    const clock = fakeClock(Date.now());
    const { deps } = callerSetup(() => jsonResponse({ active: false }), { jwks: issuer.jwks, clock });
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.accessToken({ iat: now, exp: now + 300, cnf: { jkt: key.jkt } });
    const proof = await key.proof(token, { iat: now });

    expect(await verifyCaller(routeRequest(`DPoP ${token}`, proof), deps)).toMatchObject({ sub: 'user-1' });
    expectReplayRefusal(await outcome(verifyCaller(routeRequest(`DPoP ${token}`, proof), deps)));
  });
});

describe('DPoP proofs for introspected tokens (RFC 9449 §4.3)', () => {
  it.each([
    ['no proof', async () => undefined],
    ['a proof for another method', (p: Proof) => p({ htm: 'POST' })],
    ['a proof for another URL', (p: Proof) => p({ htu: 'https://app.example/api/m2m/fenris/policies' })],
    ['a proof for another token', (_p: Proof, other: Proof) => other({})],
    ['a stale proof', (p: Proof) => p({ iat: -DPOP_PROOF_WINDOW_SECONDS - 1 })],
    ['a proof by another key', async (_p: Proof, _o: Proof, stranger: Proof) => stranger({})],
    ['a proof with a broken signature', async (p: Proof) => (await p({})).slice(0, -4) + 'AAAA'],
  ])('%s → 401', async (_name, make) => {
    const { deps, key, seconds } = await boundSetup();
    const stranger = await dpopKey();
    const at = (iat = 0) => seconds() + iat;
    const proof: Proof = (c) => key.proof(OPAQUE, { ...c, iat: at(c.iat) });
    const otherToken: Proof = (c) => key.proof('another-token', { ...c, iat: at(c.iat) });
    const strangers: Proof = (c) => stranger.proof(OPAQUE, { ...c, iat: at(c.iat) });
    const err = await outcome(
      verifyCaller(routeRequest(`DPoP ${OPAQUE}`, await make(proof, otherToken, strangers)), deps),
    );
    expect((err as CallerError).status).toBe(401);
  });

  it('a bound token sent as Bearer → 401', async () => {
    const { deps, key, seconds } = await boundSetup();
    const err = await outcome(
      verifyCaller(routeRequest(`Bearer ${OPAQUE}`, await key.proof(OPAQUE, { iat: seconds() })), deps),
    );
    expect((err as CallerError).status).toBe(401);
  });

  it('an unbound token sent as DPoP → 401', async () => {
    const key = await dpopKey();
    const clock = fakeClock();
    const { deps } = callerSetup(() => jsonResponse(activeAnswer(clock.now(), 300)), { clock });
    const proof = await key.proof(OPAQUE, { iat: Math.floor(clock.now() / 1000) });
    const err = await outcome(verifyCaller(routeRequest(`DPoP ${OPAQUE}`, proof), deps));
    expect((err as CallerError).status).toBe(401);
  });
});

type Proof = (claims: { iat?: number; htm?: string; htu?: string }) => Promise<string>;

import { describe, expect, it } from 'vitest';
import { inProcessLock } from '../base/lock.js';
import { createMemoryStore } from '../base/memory-store.js';
import { createSealedStore } from '../storage/sealed-store.js';
import { afterReady, isInspectorRecord, moveInspectorRecords } from './inspector-store.js';

const SESSION = { access_token: 'at-1', refresh_token: 'rt-1', token_type: 'dpop' };

async function sessionStoreWithInspectorRecords() {
  const session = createSealedStore(createMemoryStore(), inProcessLock);
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  await session.set('session', SESSION);
  await session.set('key:dpop', pair);
  await session.set('pending:abc', { code_verifier: 'app-verifier' });
  await session.set('profile:p1', { id: 'p1', name: 'Tenant' });
  await session.set('inspect:state-1', { state: 'state-1', code_verifier: 'inspector-verifier' });
  await session.set('key:inspect-dpop:state-1', pair);
  return { session, pair };
}

const publicJwk = (pair: unknown) => crypto.subtle.exportKey('jwk', (pair as CryptoKeyPair).publicKey);

describe('moveInspectorRecords', () => {
  it("moves profiles, attempts and the inspector's DPoP keys, and leaves the session's records", async () => {
    const { session, pair } = await sessionStoreWithInspectorRecords();
    const inspector = createSealedStore(createMemoryStore(), inProcessLock);

    const moved = await moveInspectorRecords(session, inspector);

    expect(moved.sort()).toEqual(['inspect:state-1', 'key:inspect-dpop:state-1', 'profile:p1']);
    expect((await session.keys()).filter(isInspectorRecord)).toEqual([]);
    expect(await session.get('session')).toEqual(SESSION);
    expect(await session.get('pending:abc')).toEqual({ code_verifier: 'app-verifier' });
    expect(await publicJwk(await session.get('key:dpop'))).toEqual(await publicJwk(pair));
    expect(await inspector.get('profile:p1')).toEqual({ id: 'p1', name: 'Tenant' });
    expect(await inspector.get('inspect:state-1')).toEqual({ state: 'state-1', code_verifier: 'inspector-verifier' });
    expect(await publicJwk(await inspector.get('key:inspect-dpop:state-1'))).toEqual(await publicJwk(pair));
    expect(await inspector.get('session')).toBeUndefined();
  });

  it('moves once: a second run finds nothing; a record already in the new store is kept', async () => {
    const { session } = await sessionStoreWithInspectorRecords();
    const inspector = createSealedStore(createMemoryStore(), inProcessLock);
    await inspector.set('profile:p1', { id: 'p1', name: 'Tenant, edited since' });

    await moveInspectorRecords(session, inspector);

    expect(await inspector.get('profile:p1')).toEqual({ id: 'p1', name: 'Tenant, edited since' });
    expect(await session.get('profile:p1')).toBeUndefined();
    expect(await moveInspectorRecords(session, inspector)).toEqual([]);
  });

  it("the inspector's store answers only after the move", async () => {
    const { session } = await sessionStoreWithInspectorRecords();
    const inner = createSealedStore(createMemoryStore(), inProcessLock);
    const inspector = afterReady(inner, moveInspectorRecords(session, inner));
    expect(await inspector.get('profile:p1')).toEqual({ id: 'p1', name: 'Tenant' });
  });
});

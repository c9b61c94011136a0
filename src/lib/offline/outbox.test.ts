import { beforeEach, describe, expect, it } from 'vitest';
import { callApi } from '../oauth/api.js';
import { fakeFetch, jsonResponse, type RecordedRequest } from '../oauth/fake-fetch.test-util.js';
import { type CoreRuntime } from '../oauth/runtime.js';
import { inProcessLock } from '../base/lock.js';
import { SESSION_KEY, type Session } from '../oauth/session.js';
import { createMemoryStore } from '../base/memory-store.js';
import { offlineUserKey } from './cache.js';
import { outboxSession, WRITE } from './outbox.test-util.js';
import {
  createdIdOf,
  discardOutboxItem,
  drainOutbox,
  enqueueWorkOrder,
  retryOutboxItem,
  STUCK_AFTER_ATTEMPTS,
  workOrderRequest,
  type SendWorkOrder,
} from './outbox.js';
import { countUnsent, listOutbox, type OutboxItem } from './outbox-items.js';

const T0 = Date.UTC(2026, 10, 30, 10, 42);
const API = 'https://api.example';
const session = (overrides: Partial<Session> = {}): Session => outboxSession(T0, overrides);

/**
 * A stand-in Fentu API that honours Idempotency-Key like the sandbox: the same key and body get
 * the first answer again. `fault` may answer instead (or throw, as an unreachable server does);
 * `loseAnswer` processes the request and then drops the answer.
 */
function fakeApi() {
  const created: Array<{ id: string; title: string }> = [];
  const byKey = new Map<string, { body: string; id: string }>();
  const api = {
    created,
    replays: 0,
    fault: undefined as ((request: RecordedRequest) => Response | undefined) | undefined,
    loseAnswer: 0,
    /** How long the server takes to answer, so sends from two drains would overlap. */
    delayMs: 0,
    respond(request: RecordedRequest): Response {
      const faulted = api.fault?.(request);
      if (faulted) return faulted;
      const key = request.headers['idempotency-key'];
      const seen = key ? byKey.get(key) : undefined;
      if (seen) {
        if (seen.body !== request.body) return jsonResponse({ error: 'invalid_request' }, 422);
        api.replays += 1;
        return jsonResponse({ data: { id: seen.id } }, 201);
      }
      const order = { id: `WO-${3001 + created.length}`, title: JSON.parse(request.body!).title as string };
      created.push(order);
      if (key) byKey.set(key, { body: request.body!, id: order.id });
      if (api.loseAnswer > 0) {
        api.loseAnswer -= 1;
        throw new TypeError('Failed to fetch');
      }
      return jsonResponse({ data: order }, 201);
    },
  };
  return api;
}

let store: ReturnType<typeof createMemoryStore>;
let clock: number;
let api: ReturnType<typeof fakeApi>;
let requests: RecordedRequest[];
let runtime: CoreRuntime;
let user: string;
/** Sends through the real API client, as the app does. */
let send: SendWorkOrder;

beforeEach(async () => {
  clock = T0;
  store = createMemoryStore({ [SESSION_KEY]: session() });
  api = fakeApi();
  const fake = fakeFetch(async (request) => {
    if (api.delayMs) await new Promise((resolve) => setTimeout(resolve, api.delayMs));
    return api.respond(request);
  });
  requests = fake.requests;
  runtime = { store, fetch: fake.fetch, lock: inProcessLock, now: () => clock };
  user = (await offlineUserKey(session()))!;
  send = async (item) => createdIdOf((await callApi(API, workOrderRequest(item), runtime)).body);
});

const drain = (options: { ignoreBackoff?: boolean; as?: string } = {}) =>
  drainOutbox(runtime, { user: options.as ?? user, send, ignoreBackoff: options.ignoreBackoff, random: () => 0.5 });
const enqueue = (title: string, who = user) => enqueueWorkOrder(runtime, who, { title, customerId: 'CUS-1001' });
const titlesSent = () => requests.map((r) => JSON.parse(r.body!).title as string);
const byTitle = async (title: string) => (await listOutbox(store, user)).find((i) => i.body.title === title)!;

describe('drainOutbox', () => {
  it('sends every pending order once, in creation order, each with its own Idempotency-Key', async () => {
    const items = [await enqueue('first'), await enqueue('second'), await enqueue('third')];

    expect(await drain()).toEqual({ sent: 3, failed: 0 });

    expect(titlesSent()).toEqual(['first', 'second', 'third']);
    expect(requests.map((r) => [r.method, r.url, r.headers['idempotency-key']])).toEqual(
      items.map((item) => ['POST', `${API}/work-orders`, `"${item.id}"`]),
    );
    const stored = await listOutbox(store, user);
    expect(stored.map((i) => [i.status, i.sentAs, i.attempts])).toEqual([
      ['sent', 'WO-3001', 1],
      ['sent', 'WO-3002', 1],
      ['sent', 'WO-3003', 1],
    ]);
    // Nothing left to do: a second drain sends nothing.
    expect(await drain()).toEqual({ sent: 0, failed: 0 });
    expect(requests).toHaveLength(3);
  });

  it('two drains at once (two tabs) send each order exactly once', async () => {
    for (const title of ['a', 'b', 'c', 'd']) await enqueue(title);
    api.delayMs = 20;
    const otherTab: CoreRuntime = { ...runtime };

    const results = await Promise.all([
      drain(),
      drainOutbox(otherTab, { user, send: async (item) => send(item) }),
      drain(),
    ]);

    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(4);
    expect(titlesSent()).toEqual(['a', 'b', 'c', 'd']);
    expect(api.created.map((o) => o.title)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a network failure keeps the order pending with back-off, and later orders wait behind it', async () => {
    const first = await enqueue('first');
    await enqueue('second');
    api.fault = () => {
      throw new TypeError('Failed to fetch');
    };

    const result = await drain();

    expect(result).toMatchObject({ sent: 0, failed: 0, stoppedBy: 'offline' });
    expect(result.nextAttemptAt).toBeGreaterThan(T0);
    expect(titlesSent()).toEqual(['first']);
    expect(await byTitle('first')).toMatchObject({ status: 'pending', attempts: 1, problem: 'offline' });
    expect(await byTitle('second')).toMatchObject({ status: 'pending', attempts: 0 });

    // Back online: not before the back-off by itself, at once when told the network is back.
    api.fault = undefined;
    expect((await drain()).sent).toBe(0);
    expect(requests).toHaveLength(1);
    expect(await drain({ ignoreBackoff: true })).toEqual({ sent: 2, failed: 0 });
    expect(titlesSent()).toEqual(['first', 'first', 'second']);
    expect(requests[1].headers['idempotency-key']).toBe(`"${first.key}"`);
  });

  it(`an order Fentu keeps failing (5xx) stops holding up the queue after ${STUCK_AFTER_ATTEMPTS} tries; Retry resends it with the same key`, async () => {
    const stuck = await enqueue('stuck');
    await enqueue('behind it');
    api.fault = (request) =>
      JSON.parse(request.body!).title === 'stuck' ? jsonResponse({ error: 'server_error' }, 500) : undefined;

    for (let attempt = 1; attempt < STUCK_AFTER_ATTEMPTS; attempt += 1) {
      expect(await drain({ ignoreBackoff: true })).toMatchObject({ sent: 0, stoppedBy: 'server' });
    }
    expect(api.created).toEqual([]);
    expect(await drain({ ignoreBackoff: true })).toEqual({ sent: 1, failed: 1 });

    expect(api.created.map((o) => o.title)).toEqual(['behind it']);
    const failed = await byTitle('stuck');
    expect(failed).toMatchObject({ status: 'failed', problem: 'server', attempts: STUCK_AFTER_ATTEMPTS });
    expect(failed.lastError).toMatch(/stopped after 5 tries .* it may have reached Fentu/);

    api.fault = undefined;
    expect((await retryOutboxItem(runtime, user, stuck.id))?.key).toBe(stuck.key);
    expect(await drain()).toEqual({ sent: 1, failed: 0 });
    expect(api.created.map((o) => o.title)).toEqual(['behind it', 'stuck']);
  });

  it('an answer lost after the server created the order: the retry carries the same key, and one order exists', async () => {
    await enqueue('lost answer');
    api.loseAnswer = 1;

    expect((await drain()).stoppedBy).toBe('offline');
    clock += 60_000;
    expect(await drain()).toEqual({ sent: 1, failed: 0 });

    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual([
      requests[0].headers['idempotency-key'],
      requests[0].headers['idempotency-key'],
    ]);
    expect(api.created).toEqual([{ id: 'WO-3001', title: 'lost answer' }]);
    expect(api.replays).toBe(1);
    expect(await byTitle('lost answer')).toMatchObject({ status: 'sent', sentAs: 'WO-3001', attempts: 2 });
  });

  it('a refused order fails with the server’s reason, and the next one still goes', async () => {
    await enqueue('bad');
    await enqueue('good');
    api.fault = (request) =>
      JSON.parse(request.body!).title === 'bad'
        ? jsonResponse({ error: 'invalid_request', error_description: 'customerId must name a known customer' }, 400)
        : undefined;

    expect(await drain()).toEqual({ sent: 1, failed: 1 });

    expect(await byTitle('bad')).toMatchObject({
      status: 'failed',
      problem: 'refused',
      lastError: 'customerId must name a known customer',
    });
    expect(await byTitle('good')).toMatchObject({ status: 'sent', sentAs: 'WO-3001' });
    // A failed order is not sent again by itself.
    expect(await drain()).toEqual({ sent: 0, failed: 0 });
    expect(requests).toHaveLength(2);
  });

  it.each([
    ['a 5xx', () => jsonResponse({ error: 'server_error' }, 503), 'server'],
    ['a 409 (the key is still being processed)', () => jsonResponse({ error: 'conflict' }, 409), 'server'],
  ])('%s keeps the order pending for a later try', async (_name, answer, problem) => {
    await enqueue('one');
    api.fault = answer;
    expect((await drain()).stoppedBy).toBe(problem);
    expect(await byTitle('one')).toMatchObject({ status: 'pending', attempts: 1, problem });
  });

  it('a 429 waits for Retry-After, even when the device comes back online', async () => {
    await enqueue('one');
    api.fault = () => jsonResponse({ error: 'rate_limited' }, 429, { 'retry-after': '120' });

    expect(await drain()).toMatchObject({ stoppedBy: 'rate-limited', nextAttemptAt: T0 + 120_000 });
    api.fault = undefined;
    expect((await drain({ ignoreBackoff: true })).sent).toBe(0);
    clock = T0 + 120_000;
    expect((await drain()).sent).toBe(1);
  });

  it('403 insufficient_scope: waits for permission, and goes by itself once the scope is granted', async () => {
    store.data.set(SESSION_KEY, session({ scope: 'read:work-orders' }));
    await enqueue('needs scope');
    await enqueue('also needs scope');
    api.fault = () =>
      new Response(JSON.stringify({ error: 'insufficient_scope' }), {
        status: 403,
        headers: {
          'content-type': 'application/json',
          'www-authenticate': 'Bearer error="insufficient_scope", scope="write:work-orders"',
        },
      });

    expect(await drain()).toEqual({ sent: 0, failed: 2 });
    expect(await byTitle('needs scope')).toMatchObject({
      status: 'failed',
      problem: 'permission',
      missingScope: 'write:work-orders',
    });
    // Same permissions: not tried again.
    expect(await drain()).toEqual({ sent: 0, failed: 0 });
    expect(requests).toHaveLength(2);

    api.fault = undefined;
    store.data.set(SESSION_KEY, session({ scope: WRITE }));
    expect(await drain()).toEqual({ sent: 2, failed: 0 });
    expect(api.created.map((o) => o.title)).toEqual(['needs scope', 'also needs scope']);
  });

  it('sends nothing while signed out or signed in as someone else; the orders wait for their owner', async () => {
    await enqueue('mine');
    store.data.delete(SESSION_KEY);
    expect(await drain()).toEqual({ sent: 0, failed: 0, stoppedBy: 'signed-out', nextAttemptAt: undefined });

    store.data.set(SESSION_KEY, session({ user: { sub: 'tech-0099' } }));
    expect((await drain()).stoppedBy).toBe('signed-out');
    const other = (await offlineUserKey(session({ user: { sub: 'tech-0099' } })))!;
    // The other user's drain does not see them either.
    expect(await drain({ as: other })).toEqual({ sent: 0, failed: 0 });
    expect(await listOutbox(store, other)).toEqual([]);
    expect(requests).toHaveLength(0);

    store.data.set(SESSION_KEY, session());
    expect((await drain()).sent).toBe(1);
  });

  it('a session that ends during a send leaves the order pending, uncounted', async () => {
    await enqueue('one');
    const ended: SendWorkOrder = async () => {
      store.data.delete(SESSION_KEY);
      return send((await listOutbox(store, user))[0]);
    };
    const result = await drainOutbox(runtime, { user, send: ended });
    expect(result.stoppedBy).toBe('signed-out');
    expect(await byTitle('one')).toMatchObject({ status: 'pending', attempts: 0, problem: 'signed-out' });
  });

  it('survives the app closing: a new runtime over the same store sends what was queued, and resends a cut-off send with its key', async () => {
    const queued = await enqueue('queued offline');
    const cutOff = await enqueue('cut off mid-send');
    // The tab closed while this one was being sent.
    await store.set(`outbox:${user}:${cutOff.id}`, { ...cutOff, status: 'sending' } satisfies OutboxItem);

    const reopened: CoreRuntime = { ...runtime, store: createMemoryStore(Object.fromEntries(store.data)) };
    expect(await drainOutbox(reopened, { user, send: (item) => send(item) })).toEqual({ sent: 2, failed: 0 });

    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual([`"${queued.key}"`, `"${cutOff.key}"`]);
  });
});

describe('changing the queue', () => {
  it('retry keeps the key; an edit gets a new one; discard removes only failed orders', async () => {
    const item = await enqueue('typo');
    api.fault = () => jsonResponse({ error: 'invalid_request', error_description: 'nope' }, 400);
    await drain();
    api.fault = undefined;

    const again = await retryOutboxItem(runtime, user, item.id);
    expect(again).toMatchObject({ status: 'pending', key: item.key, problem: undefined });
    expect(await retryOutboxItem(runtime, user, item.id)).toBeUndefined();

    api.fault = () => jsonResponse({ error: 'invalid_request', error_description: 'nope' }, 400);
    await drain();
    api.fault = undefined;
    const edited = await retryOutboxItem(runtime, user, item.id, { title: 'fixed', customerId: 'CUS-1002' });
    expect(edited?.key).not.toBe(item.key);
    expect(edited?.order).toBe(item.order);
    expect(await drain()).toEqual({ sent: 1, failed: 0 });
    expect(requests.at(-1)?.headers['idempotency-key']).toBe(`"${edited?.key}"`);
    expect(api.created.map((o) => o.title)).toEqual(['fixed']);

    // A sent or pending order cannot be discarded; a failed one can.
    expect(await discardOutboxItem(runtime, user, item.id)).toBe(false);
    const pending = await enqueue('pending');
    expect(await discardOutboxItem(runtime, user, pending.id)).toBe(false);
    api.fault = () => jsonResponse({ error: 'invalid_request' }, 400);
    await drain();
    expect(await discardOutboxItem(runtime, user, pending.id)).toBe(true);
    expect((await listOutbox(store, user)).map((i) => i.body.title)).toEqual(['fixed']);
  });

  it('an order whose send went wrong in an unknown way keeps its key when edited: Fentu refuses the edit instead of creating it twice', async () => {
    const item = await enqueue('maybe created');
    // The server creates it, then something in the app fails before the answer is taken in.
    await drainOutbox(runtime, {
      user,
      send: async (queued) => {
        await send(queued);
        throw new Error('lost in the app');
      },
    });
    expect(await byTitle('maybe created')).toMatchObject({ status: 'failed', problem: 'unexpected' });

    const edited = await retryOutboxItem(runtime, user, item.id, {
      title: 'maybe created, edited',
      customerId: 'CUS-1001',
    });
    expect(edited?.key).toBe(item.key);
    await drain();
    expect(api.created.map((o) => o.title)).toEqual(['maybe created']);
  });

  it('countUnsent counts every user’s pending and failed orders, not sent ones', async () => {
    await enqueue('sent');
    await drain();
    await enqueue('pending');
    await enqueue('someone else’s', 'other-user');
    expect(await countUnsent(store)).toBe(2);
    expect(await countUnsent(store, user)).toBe(1);
    expect(await countUnsent(store, 'other-user')).toBe(1);
  });
});

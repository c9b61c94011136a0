import { beforeEach, describe, expect, it } from 'vitest';
import { callApi } from '../oauth/api.js';
import { fakeFetch, jsonResponse, type RecordedRequest } from '../oauth/fake-fetch.test-util.js';
import { type CoreRuntime } from '../oauth/runtime.js';
import { inProcessLock } from '../base/lock.js';
import { SESSION_KEY, type Session } from '../oauth/session.js';
import { createMemoryStore } from '../base/memory-store.js';
import { offlineUserKey } from './cache.js';
import { outboxSession } from './outbox.test-util.js';
import { createdIdOf, discardOutboxItem, drainOutbox, enqueueWorkOrder, workOrderRequest } from './outbox.js';
import {
  countUnsent,
  listOutbox,
  listStatusChanges,
  type StatusChange,
  type WorkOrderVersion,
} from './outbox-items.js';
import { enqueueStatusChange, resolveConflict, statusChangeSender, versionOf } from './status-changes.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0);
const API = 'https://api.example';
const session = (overrides: Partial<Session> = {}): Session => outboxSession(T0, overrides);

interface Job {
  id: string;
  status: string;
  version: number;
  holdReason: string | null;
}

/**
 * A stand-in for the sandbox's GET and PATCH /work-orders/<id>: If-Match against `"<id>.v<version>"`, 412
 * with `current` when it is stale, and Idempotency-Key replays of a 200 for the same request.
 */
function fakeJobsApi() {
  const etag = (job: Job) => `"${job.id}.v${job.version}"`;
  const present = (job: Job) => ({ ...job, etag: etag(job) });
  const jobs = new Map<string, Job>([
    ['WO-3001', { id: 'WO-3001', status: 'scheduled', version: 1, holdReason: null }],
    ['WO-3002', { id: 'WO-3002', status: 'scheduled', version: 1, holdReason: null }],
  ]);
  const done = new Map<string, { fingerprint: string; response: unknown }>();
  const api = {
    jobs,
    applied: [] as Array<[string, string]>,
    replays: 0,
    loseAnswer: 0,
    fault: undefined as ((request: RecordedRequest) => Response | undefined) | undefined,
    /** The office changes a job in Fentu's own screens. */
    office(id: string, status: string) {
      const job = jobs.get(id)!;
      job.status = status;
      job.version += 1;
    },
    etag,
    respond(request: RecordedRequest): Response {
      const faulted = api.fault?.(request);
      if (faulted) return faulted;
      const id = decodeURIComponent(new URL(request.url).pathname.split('/').pop()!);
      const job = jobs.get(id);
      if (!job) return jsonResponse({ error: 'not_found' }, 404);
      if (request.method === 'GET') return jsonResponse({ data: present(job) }, 200, { etag: etag(job) });
      if (request.method !== 'PATCH') return jsonResponse({ error: 'method_not_allowed' }, 405);
      const key = request.headers['idempotency-key'];
      const fingerprint = `${id}\n${request.headers['if-match']}\n${request.body}`;
      const seen = key ? done.get(key) : undefined;
      if (seen) {
        if (seen.fingerprint !== fingerprint) return jsonResponse({ error: 'invalid_request' }, 422);
        api.replays += 1;
        return jsonResponse(seen.response, 200);
      }
      if (request.headers['if-match'] !== etag(job)) {
        return jsonResponse({ error: 'precondition_failed', current: present(job) }, 412, { etag: etag(job) });
      }
      const body = JSON.parse(request.body!) as { status: string; reason?: string };
      if (job.status === 'completed')
        return jsonResponse({ error: 'invalid_transition', error_description: 'done' }, 422);
      job.status = body.status;
      job.holdReason = body.reason ?? null;
      job.version += 1;
      api.applied.push([id, body.status]);
      const response = { data: present(job) };
      if (key) done.set(key, { fingerprint, response });
      if (api.loseAnswer > 0) {
        api.loseAnswer -= 1;
        throw new TypeError('Failed to fetch');
      }
      return jsonResponse(response, 200, { etag: etag(job) });
    },
  };
  return api;
}

let store: ReturnType<typeof createMemoryStore>;
let api: ReturnType<typeof fakeJobsApi>;
let requests: RecordedRequest[];
let runtime: CoreRuntime;
let user: string;

beforeEach(async () => {
  store = createMemoryStore({ [SESSION_KEY]: session() });
  api = fakeJobsApi();
  const fake = fakeFetch(async (request) => api.respond(request));
  requests = fake.requests;
  runtime = { store, fetch: fake.fetch, lock: inProcessLock, now: () => T0 };
  user = (await offlineUserKey(session()))!;
});

const seenAt = (id: string, status = 'scheduled', version = 1): WorkOrderVersion => ({
  status,
  version,
  etag: `"${id}.v${version}"`,
});
const change = (status: StatusChange['status'], id = 'WO-3001', extra: Partial<StatusChange> = {}) =>
  enqueueStatusChange(runtime, user, { workOrderId: id, status, ...extra }, seenAt(id));
const drain = (options: { ignoreBackoff?: boolean } = {}) =>
  drainOutbox(runtime, {
    user,
    ignoreBackoff: options.ignoreBackoff,
    random: () => 0.5,
    send: async (item) => createdIdOf((await callApi(API, workOrderRequest(item), runtime)).body),
    sendChange: statusChangeSender((request) => callApi(API, request, runtime)),
  });
const patches = () => requests.filter((r) => r.method === 'PATCH');

describe('status changes in the outbox', () => {
  it('are stored before sending, then sent in order, once each, chained by the ETag each one got', async () => {
    const start = await change('in_progress');
    const hold = await change('on_hold', 'WO-3001', { reason: 'Waiting for parts' });
    const resume = await change('in_progress');
    expect(await listStatusChanges(store, user)).toHaveLength(3);
    expect(await countUnsent(store, user, 'status')).toBe(3);
    // Not counted as new work orders.
    expect(await countUnsent(store, user)).toBe(0);
    expect(await listOutbox(store, user)).toEqual([]);

    expect(await drain()).toEqual({ sent: 3, failed: 0 });

    expect(api.applied).toEqual([
      ['WO-3001', 'in_progress'],
      ['WO-3001', 'on_hold'],
      ['WO-3001', 'in_progress'],
    ]);
    expect(patches().map((r) => [r.url, r.headers['if-match'], r.headers['idempotency-key']])).toEqual([
      [`${API}/work-orders/WO-3001`, '"WO-3001.v1"', `"${start!.key}"`],
      [`${API}/work-orders/WO-3001`, '"WO-3001.v2"', `"${hold!.key}"`],
      [`${API}/work-orders/WO-3001`, '"WO-3001.v3"', `"${resume!.key}"`],
    ]);
    expect(JSON.parse(patches()[1].body!)).toEqual({ status: 'on_hold', reason: 'Waiting for parts' });
    const stored = await listStatusChanges(store, user, 'WO-3001');
    expect(stored.map((i) => [i.status, i.result?.etag])).toEqual([
      ['sent', '"WO-3001.v2"'],
      ['sent', '"WO-3001.v3"'],
      ['sent', '"WO-3001.v4"'],
    ]);
    expect(await drain()).toEqual({ sent: 0, failed: 0 });
    expect(patches()).toHaveLength(3);
  });

  it('share one queue with new work orders, in the order they were made', async () => {
    await enqueueWorkOrder(runtime, user, { title: 'new', customerId: 'CUS-1001' });
    await change('in_progress');
    api.fault = (request) => (request.method === 'POST' ? jsonResponse({ data: { id: 'WO-3009' } }, 201) : undefined);
    await drain();
    expect(requests.map((r) => r.method)).toEqual(['POST', 'PATCH']);
  });

  it('a later change builds on the device’s own sent change even when the saved list is older', async () => {
    await change('in_progress');
    await drain();
    // The list on this device still says scheduled, version 1.
    await change('completed');
    await drain();
    expect(patches().map((r) => r.headers['if-match'])).toEqual(['"WO-3001.v1"', '"WO-3001.v2"']);
    expect(api.jobs.get('WO-3001')!.status).toBe('completed');
  });

  it('an answer lost after Fentu applied it: the retry carries the same key and If-Match, and it is applied once', async () => {
    await change('in_progress');
    api.loseAnswer = 1;
    expect((await drain()).stoppedBy).toBe('offline');
    expect((await listStatusChanges(store, user))[0]).toMatchObject({ status: 'pending', problem: 'offline' });
    expect(await drain({ ignoreBackoff: true })).toEqual({ sent: 1, failed: 0 });
    expect(api.applied).toHaveLength(1);
    expect(api.replays).toBe(1);
    expect(new Set(patches().map((r) => r.headers['idempotency-key']))).toHaveProperty('size', 1);
  });

  it('a conflict (412) keeps both versions; “mine” sends it again over theirs under a new key', async () => {
    const start = await change('in_progress');
    api.office('WO-3001', 'on_hold');

    expect(await drain()).toEqual({ sent: 0, failed: 1 });
    const [conflict] = await listStatusChanges(store, user);
    expect(conflict).toMatchObject({
      status: 'conflict',
      change: { status: 'in_progress' },
      seen: { status: 'scheduled', etag: '"WO-3001.v1"' },
      theirs: { status: 'on_hold', etag: '"WO-3001.v2"', version: 2 },
    });
    expect(api.applied).toEqual([]);
    // Nothing more is sent for it until the technician chooses, and no new change is taken meanwhile.
    expect(await drain()).toEqual({ sent: 0, failed: 0 });
    expect(await change('completed')).toBeUndefined();
    expect(await countUnsent(store, user, 'status')).toBe(1);

    const mine = await resolveConflict(runtime, user, start!.id, 'mine');
    expect(mine).toMatchObject({ status: 'pending', ifMatch: '"WO-3001.v2"', resolvedWith: 'mine' });
    expect(mine!.key).not.toBe(start!.key);
    expect(await drain()).toEqual({ sent: 1, failed: 0 });
    expect(api.applied).toEqual([['WO-3001', 'in_progress']]);
    expect(patches().at(-1)!.headers).toMatchObject({
      'if-match': '"WO-3001.v2"',
      'idempotency-key': `"${mine!.key}"`,
    });
  });

  it('“theirs” drops the change, sends nothing, and changes built on it become conflicts of their own', async () => {
    const start = await change('in_progress');
    const hold = await change('on_hold', 'WO-3001', { reason: 'parts' });
    const other = await change('in_progress', 'WO-3002');
    api.office('WO-3001', 'completed');

    // The job the office changed waits for a choice; the other job's change still goes.
    expect(await drain()).toEqual({ sent: 1, failed: 1 });
    expect(api.applied).toEqual([['WO-3002', 'in_progress']]);
    expect((await listStatusChanges(store, user, 'WO-3001')).map((i) => i.status)).toEqual(['conflict', 'pending']);

    await resolveConflict(runtime, user, start!.id, 'theirs');
    const [kept, later] = await listStatusChanges(store, user, 'WO-3001');
    expect(kept).toMatchObject({ status: 'superseded', resolvedWith: 'theirs' });
    expect(later).toMatchObject({ id: hold!.id, status: 'conflict', theirs: { status: 'completed' } });
    await resolveConflict(runtime, user, hold!.id, 'theirs');
    expect(await drain()).toEqual({ sent: 0, failed: 0 });
    expect(patches().map((r) => r.url.split('/').pop())).toEqual(['WO-3001', 'WO-3002']);
    expect(await countUnsent(store, user, 'status')).toBe(0);
    expect((await listStatusChanges(store, user, 'WO-3002'))[0]).toMatchObject({ id: other!.id, status: 'sent' });
  });

  it('a refusal fails the change with Fentu’s reason; discarding it lets the next one go on its base', async () => {
    api.office('WO-3001', 'completed');
    api.jobs.get('WO-3001')!.version = 1;
    const refused = await change('in_progress');
    const next = await change('on_hold', 'WO-3001', { reason: 'x' });
    expect(await drain()).toEqual({ sent: 0, failed: 1 });
    expect((await listStatusChanges(store, user))[0]).toMatchObject({
      status: 'failed',
      problem: 'refused',
      lastError: 'done',
    });
    expect(await discardOutboxItem(runtime, user, refused!.id)).toBe(true);
    expect((await listStatusChanges(store, user))[0]).toMatchObject({ id: next!.id, ifMatch: '"WO-3001.v1"' });
  });

  it('403 insufficient_scope fails it as a missing permission to update work orders', async () => {
    await change('in_progress');
    api.fault = () =>
      new Response(JSON.stringify({ error: 'insufficient_scope' }), {
        status: 403,
        headers: {
          'content-type': 'application/json',
          'www-authenticate': 'Bearer error="insufficient_scope", scope="write:work-orders"',
        },
      });
    expect(await drain()).toEqual({ sent: 0, failed: 1 });
    expect((await listStatusChanges(store, user))[0]).toMatchObject({
      status: 'failed',
      problem: 'permission',
      missingScope: 'write:work-orders',
      lastError: 'Fentu needs your permission to update work orders (write:work-orders).',
    });
  });

  it('without a sender for status changes they wait', async () => {
    await change('in_progress');
    const result = await drainOutbox(runtime, { user, send: async () => 'x' });
    expect(result).toEqual({ sent: 0, failed: 0 });
    expect(requests).toHaveLength(0);
  });
});

describe('versionOf', () => {
  it.each([
    [{ data: { status: 'on_hold', etag: '"a"', version: 2, holdReason: 'x' } }, undefined, 'on_hold'],
    [{ status: 'completed', etag: '"b"' }, undefined, 'completed'],
    [{ data: { status: 'scheduled' } }, '"c"', 'scheduled'],
  ])('%j', (value, etag, status) => {
    expect(versionOf(value, etag)?.status).toBe(status);
  });

  it.each([[undefined], [null], [{ data: { status: 3, etag: '"a"' } }], [{ status: 'x' }]])('refuses %j', (value) => {
    expect(versionOf(value)).toBeUndefined();
  });
});

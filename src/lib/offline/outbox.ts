import type { ApiRequest, ApiResult } from '../oauth/api.js';
import { asFieldpassError, FieldpassError, isFieldpassError } from '../base/errors.js';
import { backoffDelay } from '../base/http.js';
import { nowOf, type CoreRuntime } from '../oauth/runtime.js';
import { defaultLock } from '../base/lock.js';
import { grants } from '../oauth/scopes.js';
import { getSession, grantedScopes } from '../oauth/session.js';
import type { RecordStore } from '../base/record-store.js';
import { OUTBOX_LOCK, OUTBOX_PREFIX, offlineUserKey } from './cache.js';

/** What POST /work-orders takes (fentu-fsm; sandbox/fentu-api.js). */
export interface WorkOrderDraft {
  title: string;
  customerId: string;
  assetId?: string;
  priority?: string;
  /** ISO 8601. */
  scheduledFor?: string;
}

/** The statuses of a work order (fentu-fsm; sandbox/work-orders.js). */
export type WorkOrderStatus = 'scheduled' | 'in_progress' | 'on_hold' | 'completed';

/** What PATCH /work-orders/<id> takes: a new status, with a reason to hold or a note to complete. */
export interface StatusChange {
  workOrderId: string;
  status: WorkOrderStatus;
  /** Why the job is on hold (required for `on_hold`). */
  reason?: string;
  /** What was done (optional, for `completed`). */
  note?: string;
}

/** A work order's changeable state as Fentu last told this device, with the ETag it had then. */
export interface WorkOrderVersion {
  status: string;
  etag: string;
  version?: number;
  holdReason?: string | null;
  completionNote?: string | null;
  updatedAt?: string | null;
}

/**
 * `conflict`: a status change Fentu refused because the office changed the job first (412); it
 * waits for the technician's choice. `superseded`: the technician kept the office's version.
 */
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'conflict' | 'superseded';

/**
 * Why an item is not sent yet, or why it failed. Pending: `offline` (network, timeout), `server`
 * (5xx, 409), `rate-limited`, `signed-out` (the session ended or belongs to someone else),
 * `unauthorized` (the API refused even a fresh token). Failed: `refused` (a 4xx such as a
 * validation error), `permission` (403 insufficient_scope), `unexpected`.
 */
export type OutboxProblem =
  'offline' | 'server' | 'rate-limited' | 'signed-out' | 'unauthorized' | 'refused' | 'permission' | 'unexpected';

interface QueuedItem {
  id: string;
  /** The `Idempotency-Key` every attempt carries: the id, renewed only when the request changes. */
  key: string;
  /** Whose it is (`offlineUserKey`). */
  user: string;
  createdAt: number;
  /** Sort key: creation time, then creation order within this tab. */
  order: number;
  status: OutboxStatus;
  attempts: number;
  problem?: OutboxProblem;
  /** Plain words for the technician: why the last attempt did not go through. */
  lastError?: string;
  /** No automatic attempt before this (epoch ms): back-off after a failure. */
  retryAt?: number;
  /** The part of the wait the server asked for (`Retry-After`): never skipped. */
  serverRetryAt?: number;
  /** The scope the server asked for (403 insufficient_scope). */
  missingScope?: string;
  /** The granted scopes when that 403 came: the item is retried by itself once they change. */
  refusedWithScope?: string;
  sentAt?: number;
}

/** A work order created on this device, waiting to be sent or already sent. */
export interface OutboxItem extends QueuedItem {
  kind?: undefined;
  body: WorkOrderDraft;
  /** The work order id the server gave it. */
  sentAs?: string;
}

/**
 * A status change made on this device, sent as PATCH /work-orders/<id> with `If-Match`. Changes to
 * one job made while an earlier one is unsent are chained: each is sent with the ETag the one before
 * it got, so none of them overwrites a change made by the office meanwhile.
 */
export interface StatusChangeItem extends QueuedItem {
  kind: 'status';
  change: StatusChange;
  /** The job as the technician saw it when making the change. */
  seen: WorkOrderVersion;
  /** The `If-Match` to send; undefined while it waits for the change `after` to be sent. */
  ifMatch?: string;
  /** The earlier unsent change to the same job whose result this one builds on. */
  after?: string;
  /** The job as Fentu holds it, from the 412 that made this a conflict. */
  theirs?: WorkOrderVersion;
  /** How a conflict was settled: sent again over the office's version, or the office's kept. */
  resolvedWith?: 'mine' | 'theirs';
  /** The job as Fentu answered the change. */
  result?: WorkOrderVersion;
}

/** Anything in the outbox. */
export type AnyOutboxItem = OutboxItem | StatusChangeItem;

/** Failed attempts (5xx, or the API refusing a fresh token) before an order stops holding up the queue. */
export const STUCK_AFTER_ATTEMPTS = 5;

/** Back-off between attempts at one item: 2 s doubling to at most 60 s. */
const RETRY_BASE_MS = 2_000;
const RETRY_CAP_MS = 60_000;

/** Sent items stay listed this long, so the technician sees what went. */
const SENT_KEPT_MS = 24 * 60 * 60 * 1000;
/** Sent and settled status changes stay this long: they are the job's history on this device. */
const CHANGES_KEPT_MS = 14 * 24 * 60 * 60 * 1000;

const itemName = (user: string, id: string) => `${OUTBOX_PREFIX}${user}:${id}`;
let sequence = 0;

/** `user`'s new work orders, oldest first. */
export async function listOutbox(store: RecordStore, user: string): Promise<OutboxItem[]> {
  return (await listAll(store, user)).filter((item): item is OutboxItem => item.kind !== 'status');
}

/** `user`'s status changes, oldest first; with `workOrderId`, that job's only. */
export async function listStatusChanges(
  store: RecordStore,
  user: string,
  workOrderId?: string,
): Promise<StatusChangeItem[]> {
  return (await listAll(store, user)).filter(
    (item): item is StatusChangeItem =>
      item.kind === 'status' && (workOrderId === undefined || item.change.workOrderId === workOrderId),
  );
}

/** Every item of `user`, oldest first. */
async function listAll(store: RecordStore, user: string): Promise<AnyOutboxItem[]> {
  const prefix = `${OUTBOX_PREFIX}${user}:`;
  const names = (await store.keys()).filter((name) => name.startsWith(prefix));
  const items = await Promise.all(names.map((name) => store.get<AnyOutboxItem>(name)));
  return items.filter((item): item is AnyOutboxItem => item !== undefined).sort((a, b) => a.order - b.order);
}

/** Whether an item is still to reach Fentu (sign-out would delete it). */
export const isUnsent = (item: AnyOutboxItem) => item.status !== 'sent' && item.status !== 'superseded';

/**
 * How many items on this device have not been sent (sign-out would delete them): `user`'s, or
 * everyone's; new work orders, or with `kind: 'status'` status changes.
 */
export async function countUnsent(store: RecordStore, user?: string, kind?: 'status'): Promise<number> {
  const prefix = user === undefined ? OUTBOX_PREFIX : itemName(user, '');
  const names = (await store.keys()).filter((name) => name.startsWith(prefix));
  const items = await Promise.all(names.map((name) => store.get<AnyOutboxItem>(name)));
  return items.filter((item) => item && item.kind === kind && isUnsent(item)).length;
}

/** Queues a new work order for `user`. It is stored before this returns, so closing the app loses nothing. */
export async function enqueueWorkOrder(runtime: CoreRuntime, user: string, body: WorkOrderDraft): Promise<OutboxItem> {
  const id = crypto.randomUUID();
  const createdAt = nowOf(runtime);
  sequence = (sequence + 1) % 1000;
  const item: OutboxItem = {
    id,
    key: id,
    user,
    body,
    createdAt,
    order: createdAt * 1000 + sequence,
    status: 'pending',
    attempts: 0,
  };
  await runtime.store.set(itemName(user, id), item);
  return item;
}

/**
 * Queues a status change to a job, as `user` saw it (`seen`). It is stored before this returns. It
 * is sent with `If-Match`: the ETag of the newest version of the job this device knows (its own last
 * change, if newer than `seen`), or, while an earlier change to the job is unsent, the ETag that one
 * gets. Refused while a change to the job waits for the technician (a conflict or a refusal).
 */
export async function enqueueStatusChange(
  runtime: CoreRuntime,
  user: string,
  change: StatusChange,
  seen: WorkOrderVersion,
): Promise<StatusChangeItem | undefined> {
  const lock = runtime.lock ?? defaultLock;
  return lock(OUTBOX_LOCK, async () => {
    const earlier = await listStatusChanges(runtime.store, user, change.workOrderId);
    if (earlier.some((item) => item.status === 'conflict' || item.status === 'failed')) return undefined;
    const unsent = earlier.filter(isUnsent).at(-1);
    const known = [seen, ...earlier.map((item) => item.result).filter((v): v is WorkOrderVersion => v !== undefined)];
    const newest = known.reduce((a, b) => ((b.version ?? 0) > (a.version ?? 0) ? b : a));
    const id = crypto.randomUUID();
    const createdAt = nowOf(runtime);
    sequence = (sequence + 1) % 1000;
    const item: StatusChangeItem = {
      kind: 'status',
      id,
      key: id,
      user,
      change,
      seen: unsent ? seenAfter(unsent) : newest,
      ifMatch: unsent ? undefined : newest.etag,
      after: unsent?.id,
      createdAt,
      order: createdAt * 1000 + sequence,
      status: 'pending',
      attempts: 0,
    };
    await runtime.store.set(itemName(user, id), item);
    return item;
  });
}

/** The job as the technician expects it once `item` is applied: the base a later change was made on. */
function seenAfter(item: StatusChangeItem): WorkOrderVersion {
  const { status, reason, note } = item.change;
  return {
    ...item.seen,
    status,
    holdReason: status === 'on_hold' ? (reason ?? null) : null,
    completionNote: status === 'completed' ? (note ?? null) : item.seen.completionNote,
    version: item.seen.version === undefined ? undefined : item.seen.version + 1,
  };
}

/**
 * Settles a conflict: `mine` sends the change again over the office's version (If-Match with its
 * ETag, under a new Idempotency-Key: it is another request), `theirs` keeps the office's version and
 * drops the change. Changes to the job made after it were built on it: with `theirs` they become
 * conflicts of their own, with the same office version, for the technician to decide one by one.
 */
export async function resolveConflict(
  runtime: CoreRuntime,
  user: string,
  id: string,
  choice: 'mine' | 'theirs',
): Promise<StatusChangeItem | undefined> {
  const lock = runtime.lock ?? defaultLock;
  return lock(OUTBOX_LOCK, async () => {
    const item = await runtime.store.get<AnyOutboxItem>(itemName(user, id));
    if (!item || item.kind !== 'status' || item.status !== 'conflict' || !item.theirs) return undefined;
    const settled: StatusChangeItem =
      choice === 'mine'
        ? {
            ...item,
            status: 'pending',
            key: crypto.randomUUID(),
            ifMatch: item.theirs.etag,
            resolvedWith: 'mine',
            attempts: 0,
            problem: undefined,
            lastError: undefined,
            retryAt: undefined,
          }
        : { ...item, status: 'superseded', resolvedWith: 'theirs', problem: undefined, lastError: undefined };
    await runtime.store.set(itemName(user, id), settled);
    if (choice === 'theirs') {
      for (const later of await listStatusChanges(runtime.store, user)) {
        if (later.after !== id) continue;
        await runtime.store.set(itemName(user, later.id), {
          ...later,
          status: 'conflict',
          after: undefined,
          theirs: item.theirs,
          lastError: 'The office changed this job before your earlier change reached Fentu.',
        } satisfies StatusChangeItem);
      }
    }
    return settled;
  });
}

/**
 * Puts a failed item back in the queue, in its place. With a changed `body` it gets a new
 * idempotency key: the draft forbids reusing a key with another payload, and the old request was
 * refused, so nothing was created under it.
 */
export async function retryOutboxItem(
  runtime: CoreRuntime,
  user: string,
  id: string,
  body?: WorkOrderDraft,
): Promise<AnyOutboxItem | undefined> {
  const lock = runtime.lock ?? defaultLock;
  return lock(OUTBOX_LOCK, async () => {
    const item = await runtime.store.get<AnyOutboxItem>(itemName(user, id));
    if (!item || item.status !== 'failed') return undefined;
    if (item.kind === 'status') {
      const again: StatusChangeItem = { ...item, status: 'pending', problem: undefined, lastError: undefined };
      await runtime.store.set(itemName(user, id), again);
      return again;
    }
    const changed = body !== undefined && JSON.stringify(body) !== JSON.stringify(item.body);
    // Only a refused order surely created nothing; any other may exist at Fentu under its key, so
    // it keeps the key and Fentu answers an edited one with 422 instead of creating a second order.
    const refused = item.problem === 'refused' || item.problem === 'permission';
    const next: OutboxItem = {
      ...item,
      body: body ?? item.body,
      key: changed && refused ? crypto.randomUUID() : item.key,
      status: 'pending',
      problem: undefined,
      lastError: undefined,
      retryAt: undefined,
      serverRetryAt: undefined,
      missingScope: undefined,
      refusedWithScope: undefined,
    };
    await runtime.store.set(itemName(user, id), next);
    return next;
  });
}

/**
 * Deletes a failed item (the server refused it, so nothing of it exists there). Status changes made
 * after a discarded one are sent on the version it would have been sent on.
 */
export async function discardOutboxItem(runtime: CoreRuntime, user: string, id: string): Promise<boolean> {
  const lock = runtime.lock ?? defaultLock;
  return lock(OUTBOX_LOCK, async () => {
    const item = await runtime.store.get<AnyOutboxItem>(itemName(user, id));
    if (!item || item.status !== 'failed') return false;
    await runtime.store.del(itemName(user, id));
    if (item.kind === 'status') {
      for (const later of await listStatusChanges(runtime.store, user)) {
        if (later.after !== id) continue;
        await runtime.store.set(itemName(user, later.id), {
          ...later,
          after: item.after,
          ifMatch: item.ifMatch,
          seen: item.seen,
        } satisfies StatusChangeItem);
      }
    }
    return true;
  });
}

/** Removes `user`'s sent items from the list. */
export async function clearSentItems(runtime: CoreRuntime, user: string): Promise<void> {
  const lock = runtime.lock ?? defaultLock;
  await lock(OUTBOX_LOCK, async () => {
    for (const item of await listOutbox(runtime.store, user)) {
      // Status changes are not listed: they stay, as the job's history on this device.
      if (item.status === 'sent') await runtime.store.del(itemName(user, item.id));
    }
  });
}

/**
 * The API request for an item: POST /work-orders with its `Idempotency-Key`, an sf-string
 * (draft-ietf-httpapi-idempotency-key-header §2.1), the same on every attempt.
 */
export function workOrderRequest(item: Pick<OutboxItem, 'key' | 'body'>): ApiRequest {
  return { path: '/work-orders', method: 'POST', body: item.body, headers: { 'Idempotency-Key': `"${item.key}"` } };
}

/** The id of the created work order in a POST /work-orders answer (`{ data: { id } }`). */
export function createdIdOf(body: unknown): string {
  const id = (body as { data?: { id?: unknown } } | undefined)?.data?.id;
  return typeof id === 'string' ? id : 'a new work order';
}

/**
 * The API request for a status change: PATCH /work-orders/<id> with `If-Match` (RFC 9110 §13.1.1)
 * and its `Idempotency-Key`, the same on every attempt with that `If-Match`.
 */
export function statusChangeRequest(item: Pick<StatusChangeItem, 'key' | 'change'>, ifMatch: string): ApiRequest {
  const { workOrderId, status, reason, note } = item.change;
  return {
    path: `/work-orders/${encodeURIComponent(workOrderId)}`,
    method: 'PATCH',
    body: { status, reason, note },
    headers: { 'Idempotency-Key': `"${item.key}"`, 'If-Match': ifMatch },
  };
}

/**
 * Sends status changes through `call` (the API client): the job's new version comes from the
 * answer's body, which carries its ETag. A 412 (the office changed the job first) is passed on
 * with the job as Fentu holds it now, read back, so both versions can be shown.
 */
export function statusChangeSender(call: (request: ApiRequest) => Promise<ApiResult<unknown>>): SendStatusChange {
  return async (item, ifMatch) => {
    const request = statusChangeRequest(item, ifMatch);
    try {
      const result = versionOf((await call(request)).body);
      if (!result) throw new FieldpassError('API_ERROR', "The API's answer has no work order", { status: 200 });
      return result;
    } catch (err) {
      if (isFieldpassError(err) && err.details.status === 412) {
        err.details.current = (await call({ path: request.path })).body;
      }
      throw err;
    }
  };
}

/** A work order's version from an API body (`{ data: order }`, or a 412's `current`), if it has one. */
export function versionOf(value: unknown, etag?: string): WorkOrderVersion | undefined {
  const order = ((value as { data?: unknown } | undefined)?.data ?? value) as Record<string, unknown> | undefined;
  const tag = etag ?? order?.etag;
  if (!order || typeof order.status !== 'string' || typeof tag !== 'string') return undefined;
  const textOrNull = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    status: order.status,
    etag: tag,
    version: typeof order.version === 'number' ? order.version : undefined,
    holdReason: textOrNull(order.holdReason),
    completionNote: textOrNull(order.completionNote),
    updatedAt: textOrNull(order.updatedAt),
  };
}

/** Sends one item; resolves with the id the server gave the work order, throws what the API call threw. */
export type SendWorkOrder = (item: OutboxItem) => Promise<string>;

/** Sends one status change with `ifMatch`; resolves with the job as Fentu answered, throws what the API call threw. */
export type SendStatusChange = (item: StatusChangeItem, ifMatch: string) => Promise<WorkOrderVersion>;

export interface DrainOptions {
  user: string;
  send: SendWorkOrder;
  /** Sends status changes; without it they wait. */
  sendChange?: SendStatusChange;
  /** Skip the back-off wait (the device is back online); a wait the server asked for still stands. */
  ignoreBackoff?: boolean;
  /** Told after every change to an item, so other tabs and the list can follow. */
  onChange?: (item: AnyOutboxItem) => void;
  random?: () => number;
}

export interface DrainResult {
  sent: number;
  failed: number;
  /** Why the drain stopped with items still pending. */
  stoppedBy?: OutboxProblem;
  /** When the first pending item may be tried again, if it is waiting. */
  nextAttemptAt?: number;
}

type Step = { kind: 'sent' | 'failed' } | { kind: 'done' } | { kind: 'stop'; problem: OutboxProblem; at?: number };

/**
 * Sends `user`'s pending work orders one at a time in creation order, each under the outbox Web
 * Lock, so two tabs never send the same item. Every attempt at an item carries the same
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header), so a retry after a lost answer
 * cannot create the order twice on a server that honours it.
 *
 * A network failure, timeout, 5xx, 409 or 429 leaves the item pending with back-off, and later
 * items wait behind it (order is kept). A refusal (4xx, 403 insufficient_scope) fails the item
 * and the drain goes on with the next. Nothing is sent unless the stored session is `user`'s.
 */
export async function drainOutbox(runtime: CoreRuntime, options: DrainOptions): Promise<DrainResult> {
  const lock = runtime.lock ?? defaultLock;
  const result: DrainResult = { sent: 0, failed: 0 };
  for (;;) {
    const step = await lock(OUTBOX_LOCK, () => sendNext(runtime, options));
    if (step.kind === 'done') return result;
    if (step.kind === 'stop') return { ...result, stoppedBy: step.problem, nextAttemptAt: step.at };
    if (step.kind === 'sent') result.sent += 1;
    else result.failed += 1;
  }
}

async function sendNext(runtime: CoreRuntime, options: DrainOptions): Promise<Step> {
  const { user } = options;
  const store = runtime.store;
  const session = await getSession(runtime);
  if (!session || (await offlineUserKey(session)) !== user) return { kind: 'stop', problem: 'signed-out' };
  const now = nowOf(runtime);
  const granted = grantedScopes(session);
  const save = async (item: AnyOutboxItem) => {
    await store.set(itemName(user, item.id), item);
    options.onChange?.(item);
  };

  const items: AnyOutboxItem[] = [];
  for (const item of await listAll(store, user)) {
    // Sent long ago: off the list (status changes later: they are the job's history here).
    const kept = item.kind === 'status' ? CHANGES_KEPT_MS : SENT_KEPT_MS;
    if (!isUnsent(item) && (item.sentAt ?? item.createdAt) + kept < now) {
      await store.del(itemName(user, item.id));
      continue;
    }
    // Refused for a missing permission, and the permissions have changed since: try it again.
    if (
      item.status === 'failed' &&
      item.problem === 'permission' &&
      item.refusedWithScope !== session.scope &&
      grants(granted, item.missingScope ?? 'write:work-orders')
    ) {
      const again: AnyOutboxItem = { ...item, status: 'pending', problem: undefined, lastError: undefined };
      await save(again);
      items.push(again);
      continue;
    }
    items.push(item);
  }
  // A status change built on an earlier one goes once that one is sent, with the ETag it got; while
  // the earlier one waits for the technician (a conflict, a refusal), so does it.
  const ready = (item: AnyOutboxItem) =>
    item.kind !== 'status' || (options.sendChange !== undefined && item.ifMatch !== undefined);
  // A 'sending' item found while holding the lock was cut off (the tab closed mid-send): it is
  // pending again, and goes out with the same key.
  const next = items.find((item) => (item.status === 'pending' || item.status === 'sending') && ready(item));
  if (!next) return { kind: 'done' };
  const waitUntil = Math.max(next.serverRetryAt ?? 0, options.ignoreBackoff ? 0 : (next.retryAt ?? 0));
  if (waitUntil > now) return { kind: 'stop', problem: next.problem ?? 'offline', at: waitUntil };

  await save({ ...next, status: 'sending' });
  const cleared = {
    problem: undefined,
    lastError: undefined,
    retryAt: undefined,
    serverRetryAt: undefined,
  } as const;
  try {
    if (next.kind === 'status') {
      const result = await options.sendChange!(next, next.ifMatch!);
      await save({ ...next, status: 'sent', attempts: next.attempts + 1, result, sentAt: nowOf(runtime), ...cleared });
      // The changes made after it go with the ETag it got.
      for (const later of items) {
        if (later.kind === 'status' && later.after === next.id) {
          await save({ ...later, after: undefined, ifMatch: result.etag });
        }
      }
    } else {
      const sentAs = await options.send(next);
      await save({ ...next, status: 'sent', attempts: next.attempts + 1, sentAs, sentAt: nowOf(runtime), ...cleared });
    }
    return { kind: 'sent' };
  } catch (err) {
    const failure = asFieldpassError(err);
    const attempts = next.attempts + 1;
    const at = nowOf(runtime);
    const backoff = at + backoffDelay(attempts, RETRY_BASE_MS, RETRY_CAP_MS, options.random);
    const what = next.kind === 'status' ? 'change' : 'order';
    const waiting = (problem: OutboxProblem, lastError: string, extra: Partial<AnyOutboxItem> = {}) =>
      save({ ...next, status: 'pending', attempts, problem, lastError, retryAt: backoff, ...extra } as AnyOutboxItem);
    // Fentu keeps failing this item: it stops holding up the ones behind it and waits for the
    // technician (Retry sends it with the same key, so it cannot be applied twice).
    const stuck = async (problem: OutboxProblem, lastError: string): Promise<boolean> => {
      if (attempts < STUCK_AFTER_ATTEMPTS) return false;
      await save({
        ...next,
        status: 'failed',
        attempts,
        problem,
        lastError: `${lastError} Fieldpass stopped after ${attempts} tries so the ${what}s after it can go; it may have reached Fentu.`,
        retryAt: undefined,
      });
      return true;
    };
    switch (failure.code) {
      case 'NETWORK':
      case 'TIMEOUT':
        await waiting('offline', 'Fentu could not be reached.');
        return { kind: 'stop', problem: 'offline', at: backoff };
      case 'SERVER_ERROR':
        if (await stuck('server', 'Fentu had a problem on its side.')) return { kind: 'failed' };
        await waiting('server', 'Fentu had a problem on its side.');
        return { kind: 'stop', problem: 'server', at: backoff };
      case 'RATE_LIMITED': {
        const serverAt = failure.details.retryAt ?? backoff;
        await waiting('rate-limited', 'Fentu asked Fieldpass to slow down.', {
          retryAt: serverAt,
          serverRetryAt: serverAt,
        });
        return { kind: 'stop', problem: 'rate-limited', at: serverAt };
      }
      case 'SESSION_ENDED':
      case 'NOT_SIGNED_IN':
        // Not the item's fault: it waits, uncounted, until the same user signs in again.
        await save({
          ...next,
          status: 'pending',
          problem: 'signed-out',
          lastError: 'Your sign-in ended. Sign in again to send it.',
        });
        return { kind: 'stop', problem: 'signed-out' };
      case 'API_UNAUTHORIZED':
        if (await stuck('unauthorized', 'Fentu did not accept your sign-in.')) return { kind: 'failed' };
        await waiting('unauthorized', 'Fentu did not accept your sign-in.');
        return { kind: 'stop', problem: 'unauthorized', at: backoff };
      case 'INSUFFICIENT_SCOPE': {
        const scope = failure.details.scope ?? 'write:work-orders';
        const action = next.kind === 'status' ? 'update' : 'create';
        await save({
          ...next,
          status: 'failed',
          attempts,
          problem: 'permission',
          lastError: `Fentu needs your permission to ${action} work orders (${scope}).`,
          missingScope: scope,
          refusedWithScope: session.scope,
          retryAt: undefined,
        });
        return { kind: 'failed' };
      }
      case 'API_ERROR': {
        // 409: the same key is still being processed (a retry raced the original): wait and retry.
        if (failure.details.status === 409) {
          await waiting('server', 'Fentu was still working on an earlier attempt.');
          return { kind: 'stop', problem: 'server', at: backoff };
        }
        // 412: the office changed the job since this device last saw it. Nothing was changed;
        // both versions are kept for the technician to choose from.
        const theirs = failure.details.status === 412 ? versionOf(failure.details.current) : undefined;
        if (next.kind === 'status' && theirs) {
          await save({
            ...next,
            status: 'conflict',
            attempts,
            theirs,
            problem: undefined,
            lastError: 'The office changed this job before your change reached Fentu.',
            retryAt: undefined,
          });
          return { kind: 'failed' };
        }
        await save({
          ...next,
          status: 'failed',
          attempts,
          problem: 'refused',
          lastError: failure.details.description ?? `Fentu refused it (HTTP ${failure.details.status ?? 'error'}).`,
          retryAt: undefined,
        });
        return { kind: 'failed' };
      }
      case 'STORAGE_UNAVAILABLE':
        throw failure;
      default:
        await save({
          ...next,
          status: 'failed',
          attempts,
          problem: 'unexpected',
          lastError: 'Something unexpected went wrong while sending it.',
          retryAt: undefined,
        });
        return { kind: 'failed' };
    }
  }
}

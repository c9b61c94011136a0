import type { ApiRequest } from '../oauth/api.js';
import { asFieldpassError } from '../oauth/errors.js';
import { defaultLock, nowOf, type CoreRuntime } from '../oauth/runtime.js';
import { getSession, grantedScopes, refreshRetryDelay } from '../oauth/session.js';
import type { RecordStore } from '../storage/record-store.js';
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

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

/**
 * Why an item is not sent yet, or why it failed. Pending: `offline` (network, timeout), `server`
 * (5xx, 409), `rate-limited`, `signed-out` (the session ended or belongs to someone else),
 * `unauthorized` (the API refused even a fresh token). Failed: `refused` (a 4xx such as a
 * validation error), `permission` (403 insufficient_scope), `unexpected`.
 */
export type OutboxProblem =
  'offline' | 'server' | 'rate-limited' | 'signed-out' | 'unauthorized' | 'refused' | 'permission' | 'unexpected';

/** A work order created on this device, waiting to be sent or already sent. */
export interface OutboxItem {
  id: string;
  /** The `Idempotency-Key` every attempt carries: the id, renewed only when the order is edited. */
  key: string;
  /** Whose it is (`offlineUserKey`). */
  user: string;
  body: WorkOrderDraft;
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
  /** The work order id the server gave it. */
  sentAs?: string;
  sentAt?: number;
}

/** Failed attempts (5xx, or the API refusing a fresh token) before an order stops holding up the queue. */
export const STUCK_AFTER_ATTEMPTS = 5;

/** Sent items stay listed this long, so the technician sees what went. */
const SENT_KEPT_MS = 24 * 60 * 60 * 1000;

const itemName = (user: string, id: string) => `${OUTBOX_PREFIX}${user}:${id}`;
let sequence = 0;

/** Every item of `user`, oldest first. */
export async function listOutbox(store: RecordStore, user: string): Promise<OutboxItem[]> {
  const prefix = `${OUTBOX_PREFIX}${user}:`;
  const names = (await store.keys()).filter((name) => name.startsWith(prefix));
  const items = await Promise.all(names.map((name) => store.get<OutboxItem>(name)));
  return items.filter((item): item is OutboxItem => item !== undefined).sort((a, b) => a.order - b.order);
}

/** How many work orders on this device have not been sent (sign-out would delete them): `user`'s, or everyone's. */
export async function countUnsent(store: RecordStore, user?: string): Promise<number> {
  const prefix = user === undefined ? OUTBOX_PREFIX : itemName(user, '');
  const names = (await store.keys()).filter((name) => name.startsWith(prefix));
  const items = await Promise.all(names.map((name) => store.get<OutboxItem>(name)));
  return items.filter((item) => item && item.status !== 'sent').length;
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
 * Puts a failed item back in the queue, in its place. With a changed `body` it gets a new
 * idempotency key: the draft forbids reusing a key with another payload, and the old request was
 * refused, so nothing was created under it.
 */
export async function retryOutboxItem(
  runtime: CoreRuntime,
  user: string,
  id: string,
  body?: WorkOrderDraft,
): Promise<OutboxItem | undefined> {
  const lock = runtime.lock ?? defaultLock;
  return lock(OUTBOX_LOCK, async () => {
    const item = await runtime.store.get<OutboxItem>(itemName(user, id));
    if (!item || item.status !== 'failed') return undefined;
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

/** Deletes a failed item (the server refused it, so nothing of it exists there). */
export async function discardOutboxItem(runtime: CoreRuntime, user: string, id: string): Promise<boolean> {
  const lock = runtime.lock ?? defaultLock;
  return lock(OUTBOX_LOCK, async () => {
    const item = await runtime.store.get<OutboxItem>(itemName(user, id));
    if (!item || item.status !== 'failed') return false;
    await runtime.store.del(itemName(user, id));
    return true;
  });
}

/** Removes `user`'s sent items from the list. */
export async function clearSentItems(runtime: CoreRuntime, user: string): Promise<void> {
  const lock = runtime.lock ?? defaultLock;
  await lock(OUTBOX_LOCK, async () => {
    for (const item of await listOutbox(runtime.store, user)) {
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

/** Sends one item; resolves with the id the server gave the work order, throws what the API call threw. */
export type SendWorkOrder = (item: OutboxItem) => Promise<string>;

export interface DrainOptions {
  user: string;
  send: SendWorkOrder;
  /** Skip the back-off wait (the device is back online); a wait the server asked for still stands. */
  ignoreBackoff?: boolean;
  /** Told after every change to an item, so other tabs and the list can follow. */
  onChange?: (item: OutboxItem) => void;
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
  const save = async (item: OutboxItem) => {
    await store.set(itemName(user, item.id), item);
    options.onChange?.(item);
  };

  const items: OutboxItem[] = [];
  for (const item of await listOutbox(store, user)) {
    // Sent long ago: off the list.
    if (item.status === 'sent' && (item.sentAt ?? 0) + SENT_KEPT_MS < now) {
      await store.del(itemName(user, item.id));
      continue;
    }
    // Refused for a missing permission, and the permissions have changed since: try it again.
    if (
      item.status === 'failed' &&
      item.problem === 'permission' &&
      item.refusedWithScope !== session.scope &&
      (granted.includes(item.missingScope ?? 'write:work-orders') || granted.includes('admin'))
    ) {
      const again: OutboxItem = { ...item, status: 'pending', problem: undefined, lastError: undefined };
      await save(again);
      items.push(again);
      continue;
    }
    items.push(item);
  }
  // A 'sending' item found while holding the lock was cut off (the tab closed mid-send): it is
  // pending again, and goes out with the same key.
  const next = items.find((item) => item.status === 'pending' || item.status === 'sending');
  if (!next) return { kind: 'done' };
  const waitUntil = Math.max(next.serverRetryAt ?? 0, options.ignoreBackoff ? 0 : (next.retryAt ?? 0));
  if (waitUntil > now) return { kind: 'stop', problem: next.problem ?? 'offline', at: waitUntil };

  await save({ ...next, status: 'sending' });
  try {
    const sentAs = await options.send(next);
    await save({
      ...next,
      status: 'sent',
      attempts: next.attempts + 1,
      sentAs,
      sentAt: nowOf(runtime),
      problem: undefined,
      lastError: undefined,
      retryAt: undefined,
      serverRetryAt: undefined,
    });
    return { kind: 'sent' };
  } catch (err) {
    const failure = asFieldpassError(err);
    const attempts = next.attempts + 1;
    const at = nowOf(runtime);
    const backoff = at + refreshRetryDelay(attempts, options.random);
    const waiting = (problem: OutboxProblem, lastError: string, extra: Partial<OutboxItem> = {}) =>
      save({ ...next, status: 'pending', attempts, problem, lastError, retryAt: backoff, ...extra });
    // Fentu keeps failing this order: it stops holding up the ones behind it and waits for the
    // technician (Retry sends it with the same key, so it cannot be created twice).
    const stuck = async (problem: OutboxProblem, lastError: string): Promise<boolean> => {
      if (attempts < STUCK_AFTER_ATTEMPTS) return false;
      await save({
        ...next,
        status: 'failed',
        attempts,
        problem,
        lastError: `${lastError} Fieldpass stopped after ${attempts} tries so the orders after it can go; it may have reached Fentu.`,
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
        // Not the order's fault: it waits, uncounted, until the same user signs in again.
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
        await save({
          ...next,
          status: 'failed',
          attempts,
          problem: 'permission',
          lastError: `Fentu needs your permission to create work orders (${scope}).`,
          missingScope: scope,
          refusedWithScope: session.scope,
          retryAt: undefined,
        });
        return { kind: 'failed' };
      }
      case 'API_ERROR':
        // 409: the same key is still being processed (a retry raced the original): wait and retry.
        if (failure.details.status === 409) {
          await waiting('server', 'Fentu was still working on an earlier attempt.');
          return { kind: 'stop', problem: 'server', at: backoff };
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

// The work-order outbox: new work orders and status changes made on this device, kept until Fentu has
// them and sent in order under a Web Lock. Records are in outbox-items.ts, status changes in
// status-changes.ts.
import type { ApiRequest } from '../oauth/api.js';
import { asFieldpassError, type FieldpassError, type FieldpassErrorCode } from '../base/errors.js';
import { nowOf, type CoreRuntime } from '../oauth/runtime.js';
import { defaultLock } from '../base/lock.js';
import { backoffDelay } from '../base/http.js';
import { grants } from '../oauth/scopes.js';
import { getSession, grantedScopes } from '../oauth/session.js';
import type { Session } from '../oauth/session.js';
import { OUTBOX_LOCK, offlineUserKey } from './cache.js';
import {
  isUnsent,
  itemName,
  listAll,
  listOutbox,
  listStatusChanges,
  nextOrder,
  type AnyOutboxItem,
  type OutboxItem,
  type OutboxProblem,
  type StatusChangeItem,
  type WorkOrderDraft,
} from './outbox-items.js';
import { versionOf, type SendStatusChange } from './status-changes.js';

/** Back-off between attempts at one item: 2 s doubling to at most 60 s. */
const RETRY_BASE_MS = 2_000;
const RETRY_CAP_MS = 60_000;

/** Failed attempts (5xx, or the API refusing a fresh token) before an order stops holding up the queue. */
export const STUCK_AFTER_ATTEMPTS = 5;

/** Sent items stay listed this long, so the technician sees what went. */
const SENT_KEPT_MS = 24 * 60 * 60 * 1000;
/** Sent and settled status changes stay this long: they are the job's history on this device. */
const CHANGES_KEPT_MS = 14 * 24 * 60 * 60 * 1000;

/** Queues a new work order for `user`. It is stored before this returns, so closing the app loses nothing. */
export async function enqueueWorkOrder(runtime: CoreRuntime, user: string, body: WorkOrderDraft): Promise<OutboxItem> {
  const id = crypto.randomUUID();
  const createdAt = nowOf(runtime);
  const item: OutboxItem = {
    id,
    key: id,
    user,
    body,
    createdAt,
    order: nextOrder(createdAt),
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

/** Sends one item; resolves with the id the server gave the work order, throws what the API call threw. */
export type SendWorkOrder = (item: OutboxItem) => Promise<string>;

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

/** One turn of the drain: the stored session, which is `user`'s, and how a changed item is stored and told. */
interface Turn {
  runtime: CoreRuntime;
  options: DrainOptions;
  session: Session;
  save: (item: AnyOutboxItem) => Promise<void>;
}

/** One turn, under the outbox lock: tidy the list, pick the item that may go now, send it, record how it went. */
async function sendNext(runtime: CoreRuntime, options: DrainOptions): Promise<Step> {
  const { user } = options;
  const session = await getSession(runtime);
  if (!session || (await offlineUserKey(session)) !== user) return { kind: 'stop', problem: 'signed-out' };
  const now = nowOf(runtime);
  const save = async (item: AnyOutboxItem) => {
    await runtime.store.set(itemName(user, item.id), item);
    options.onChange?.(item);
  };
  const turn: Turn = { runtime, options, session, save };

  const items = await pruneAndRequeue(turn, now);
  const next = pickNext(items, options);
  if (!next) return { kind: 'done' };
  const waitUntil = Math.max(next.serverRetryAt ?? 0, options.ignoreBackoff ? 0 : (next.retryAt ?? 0));
  if (waitUntil > now) return { kind: 'stop', problem: next.problem ?? 'offline', at: waitUntil };

  await save({ ...next, status: 'sending' });
  try {
    await sendItem(turn, next, items);
    return { kind: 'sent' };
  } catch (err) {
    return recordFailure(turn, next, asFieldpassError(err));
  }
}

/** `user`'s items, less the sent ones kept long enough, with permission refusals queued again once they may go. */
async function pruneAndRequeue({ runtime, options, session, save }: Turn, now: number): Promise<AnyOutboxItem[]> {
  const { user } = options;
  const store = runtime.store;
  const granted = grantedScopes(session);
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
  return items;
}

/** The first item to send: pending, or cut off while sending, and not waiting for an earlier change. */
function pickNext(items: AnyOutboxItem[], options: DrainOptions): AnyOutboxItem | undefined {
  // A status change built on an earlier one goes once that one is sent, with the ETag it got; while
  // the earlier one waits for the technician (a conflict, a refusal), so does it.
  const ready = (item: AnyOutboxItem) =>
    item.kind !== 'status' || (options.sendChange !== undefined && item.ifMatch !== undefined);
  // A 'sending' item found while holding the lock was cut off (the tab closed mid-send): it is
  // pending again, and goes out with the same key.
  return items.find((item) => (item.status === 'pending' || item.status === 'sending') && ready(item));
}

/** Sends `next` and stores it as sent; throws what the sender threw. */
async function sendItem({ runtime, options, save }: Turn, next: AnyOutboxItem, items: AnyOutboxItem[]): Promise<void> {
  const cleared = {
    problem: undefined,
    lastError: undefined,
    retryAt: undefined,
    serverRetryAt: undefined,
  } as const;
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
}

/**
 * What a failed attempt does to the item. `pending`: it waits with back-off, and the items behind
 * it wait too. `failed` and `conflict`: it waits for the technician, and the drain goes on.
 */
type Outcome =
  | {
      status: 'pending';
      problem: OutboxProblem;
      /** Plain words for the technician: why it did not go through. */
      text: string;
      /** Fentu keeps failing it: after STUCK_AFTER_ATTEMPTS tries it fails instead. */
      counts?: boolean;
      /** Not the item's fault: the try is not counted and its wait is left as it was. */
      uncounted?: boolean;
      /** The wait is the one the server asked for (`Retry-After`), never skipped. */
      serverWait?: boolean;
    }
  | {
      status: 'failed' | 'conflict';
      problem?: OutboxProblem;
      text: string | ((failure: FieldpassError, item: AnyOutboxItem) => string);
      /** More to store with the item. */
      keep?: (failure: FieldpassError, session: Session) => Partial<StatusChangeItem>;
    };

const OFFLINE: Outcome = { status: 'pending', problem: 'offline', text: 'Fentu could not be reached.' };
/** It waits, uncounted, until the same user signs in again. */
const SIGNED_OUT: Outcome = {
  status: 'pending',
  problem: 'signed-out',
  text: 'Your sign-in ended. Sign in again to send it.',
  uncounted: true,
};
const scopeAsked = (failure: FieldpassError) => failure.details.scope ?? 'write:work-orders';

/** How each error leaves the item; an error not listed fails it as `unexpected`. */
const OUTCOMES: Partial<Record<FieldpassErrorCode, Outcome>> = {
  NETWORK: OFFLINE,
  TIMEOUT: OFFLINE,
  SERVER_ERROR: { status: 'pending', problem: 'server', text: 'Fentu had a problem on its side.', counts: true },
  RATE_LIMITED: {
    status: 'pending',
    problem: 'rate-limited',
    text: 'Fentu asked Fieldpass to slow down.',
    serverWait: true,
  },
  SESSION_ENDED: SIGNED_OUT,
  NOT_SIGNED_IN: SIGNED_OUT,
  API_UNAUTHORIZED: {
    status: 'pending',
    problem: 'unauthorized',
    text: 'Fentu did not accept your sign-in.',
    counts: true,
  },
  INSUFFICIENT_SCOPE: {
    status: 'failed',
    problem: 'permission',
    text: (failure, item) =>
      `Fentu needs your permission to ${item.kind === 'status' ? 'update' : 'create'} work orders (${scopeAsked(failure)}).`,
    keep: (failure, session) => ({ missingScope: scopeAsked(failure), refusedWithScope: session.scope }),
  },
  API_ERROR: {
    status: 'failed',
    problem: 'refused',
    text: (failure) => failure.details.description ?? `Fentu refused it (HTTP ${failure.details.status ?? 'error'}).`,
  },
};

/** 409: the same key is still being processed (a retry raced the original): wait and retry. */
const STILL_WORKING: Outcome = {
  status: 'pending',
  problem: 'server',
  text: 'Fentu was still working on an earlier attempt.',
};

/** The job as Fentu holds it, from a 412 answer. */
const theirsOf = (failure: FieldpassError) =>
  failure.details.status === 412 ? versionOf(failure.details.current) : undefined;

/**
 * 412 to a status change: the office changed the job since this device last saw it. Nothing was
 * changed; both versions are kept for the technician to choose from.
 */
const CONFLICT: Outcome = {
  status: 'conflict',
  text: 'The office changed this job before your change reached Fentu.',
  keep: (failure) => ({ theirs: theirsOf(failure) }),
};

const UNEXPECTED: Outcome = {
  status: 'failed',
  problem: 'unexpected',
  text: 'Something unexpected went wrong while sending it.',
};

/** The outcome of the `attempts`-th failed try at `item`. */
function outcomeOf(failure: FieldpassError, item: AnyOutboxItem, attempts: number): Outcome {
  if (failure.code === 'API_ERROR' && failure.details.status === 409) return STILL_WORKING;
  if (failure.code === 'API_ERROR' && item.kind === 'status' && theirsOf(failure)) return CONFLICT;
  const outcome = OUTCOMES[failure.code] ?? UNEXPECTED;
  if (outcome.status !== 'pending' || !outcome.counts || attempts < STUCK_AFTER_ATTEMPTS) return outcome;
  // Fentu keeps failing this item: it stops holding up the ones behind it and waits for the
  // technician (Retry sends it with the same key, so it cannot be applied twice).
  const what = item.kind === 'status' ? 'change' : 'order';
  return {
    status: 'failed',
    problem: outcome.problem,
    text: `${outcome.text} Fieldpass stopped after ${attempts} tries so the ${what}s after it can go; it may have reached Fentu.`,
  };
}

/** Stores what the failed try at `next` leaves (its outcome), and tells the drain whether to go on. */
async function recordFailure(turn: Turn, next: AnyOutboxItem, failure: FieldpassError): Promise<Step> {
  const { runtime, options, session, save } = turn;
  const attempts = next.attempts + 1;
  const at = nowOf(runtime);
  const backoff = at + backoffDelay(attempts, RETRY_BASE_MS, RETRY_CAP_MS, options.random);
  if (failure.code === 'STORAGE_UNAVAILABLE') throw failure;
  const outcome = outcomeOf(failure, next, attempts);
  const lastError = typeof outcome.text === 'string' ? outcome.text : outcome.text(failure, next);
  if (outcome.status === 'pending' && outcome.uncounted) {
    await save({ ...next, status: 'pending', problem: outcome.problem, lastError });
    return { kind: 'stop', problem: outcome.problem };
  }
  if (outcome.status === 'pending') {
    const retryAt = outcome.serverWait ? (failure.details.retryAt ?? backoff) : backoff;
    const serverWait = outcome.serverWait ? { serverRetryAt: retryAt } : {};
    const { problem } = outcome;
    await save({ ...next, status: 'pending', attempts, problem, lastError, retryAt, ...serverWait } as AnyOutboxItem);
    return { kind: 'stop', problem, at: retryAt };
  }
  const kept = outcome.keep?.(failure, session);
  const { status, problem } = outcome;
  await save({ ...next, status, attempts, problem, lastError, ...kept, retryAt: undefined } as AnyOutboxItem);
  return { kind: 'failed' };
}

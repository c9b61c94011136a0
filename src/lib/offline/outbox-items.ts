// The outbox's records, one per item and user, and reading them back in the order they were made.
import type { RecordStore } from '../base/record-store.js';
import { OUTBOX_PREFIX } from './cache.js';

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

/** The record name of `user`'s item `id`. */
export const itemName = (user: string, id: string) => `${OUTBOX_PREFIX}${user}:${id}`;
let sequence = 0;

/** Sort key of an item made at `createdAt`: creation time, then creation order within this tab. */
export function nextOrder(createdAt: number): number {
  sequence = (sequence + 1) % 1000;
  return createdAt * 1000 + sequence;
}

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
export async function listAll(store: RecordStore, user: string): Promise<AnyOutboxItem[]> {
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

// Status changes to jobs: queued with the ETag they build on, sent with If-Match, and the conflicts
// a 412 leaves for the technician to settle.
import type { ApiRequest, ApiResult } from '../oauth/api.js';
import { FieldpassError, isFieldpassError } from '../base/errors.js';
import { nowOf, type CoreRuntime } from '../oauth/runtime.js';
import { defaultLock } from '../base/lock.js';
import { OUTBOX_LOCK } from './cache.js';
import {
  isUnsent,
  itemName,
  listStatusChanges,
  nextOrder,
  type AnyOutboxItem,
  type StatusChange,
  type StatusChangeItem,
  type WorkOrderVersion,
} from './outbox-items.js';

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
      order: nextOrder(createdAt),
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

/** Sends one status change with `ifMatch`; resolves with the job as Fentu answered, throws what the API call threw. */
export type SendStatusChange = (item: StatusChangeItem, ifMatch: string) => Promise<WorkOrderVersion>;

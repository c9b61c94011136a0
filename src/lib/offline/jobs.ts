import { isUnsent, type StatusChangeItem, type WorkOrderStatus, type WorkOrderVersion } from './outbox-items.js';
import { versionOf } from './status-changes.js';

/** The words a technician reads for each status. */
export const STATUS_LABELS: Record<WorkOrderStatus, string> = {
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  on_hold: 'On hold',
  completed: 'Completed',
};

/** A status in words; an unknown one as Fentu spelt it. */
export function statusLabel(status: string): string {
  return STATUS_LABELS[status as WorkOrderStatus] ?? status.replace(/_/g, ' ');
}

/** What a technician can do next from each status (the Fentu API's rules; sandbox/work-orders.js). */
export const NEXT_STEPS: Record<WorkOrderStatus, ReadonlyArray<{ status: WorkOrderStatus; label: string }>> = {
  scheduled: [{ status: 'in_progress', label: 'Start' }],
  in_progress: [
    { status: 'on_hold', label: 'Put on hold' },
    { status: 'completed', label: 'Complete' },
  ],
  on_hold: [{ status: 'in_progress', label: 'Resume' }],
  completed: [],
};

/** The step a change made, in words: "Started", "Put on hold", … */
export function changeLabel(item: Pick<StatusChangeItem, 'change'>): string {
  const { status } = item.change;
  if (status === 'in_progress') return 'Started';
  if (status === 'on_hold') return 'Put on hold';
  if (status === 'completed') return 'Completed';
  return statusLabel(status);
}

/** A job as this device knows it: Fentu's last word, then the device's own changes on top. */
export interface JobState {
  /** The status to show: the newest change made here, sent or not, else Fentu's. */
  status: string;
  holdReason: string | null;
  completionNote: string | null;
  /** The newest version Fentu has told this device about (the base for a new change). */
  known: WorkOrderVersion | undefined;
  /** Changes made here that have not reached Fentu yet. */
  unsent: StatusChangeItem[];
  /** A change refused because the office changed the job first, waiting for a choice. */
  conflict: StatusChangeItem | undefined;
  /** A change Fentu refused for another reason, waiting for the technician. */
  failed: StatusChangeItem | undefined;
  /** The steps offered now: none while a change waits for the technician. */
  next: ReadonlyArray<{ status: WorkOrderStatus; label: string }>;
}

/**
 * Works out a job's state from the work order as last fetched (`row`, from a saved list or a fresh
 * read) and this device's status changes to it, oldest first.
 */
export function jobState(row: unknown, changes: StatusChangeItem[]): JobState {
  let known = versionOf(row);
  // Fentu's newest word: the list or read, an answer to a change, or the version a conflict showed.
  for (const version of changes.flatMap((item) => [item.result, item.theirs])) {
    if (version && (known === undefined || (version.version ?? 0) > (known.version ?? 0))) known = version;
  }
  const unsent = changes.filter((item) => isUnsent(item));
  const conflict = unsent.find((item) => item.status === 'conflict');
  const failed = unsent.find((item) => item.status === 'failed');
  const waiting = unsent.filter((item) => item.status === 'pending' || item.status === 'sending').at(-1);
  let status = known?.status ?? 'scheduled';
  let holdReason = known?.holdReason ?? null;
  let completionNote = known?.completionNote ?? null;
  if (waiting) {
    status = waiting.change.status;
    holdReason = status === 'on_hold' ? (waiting.change.reason ?? null) : null;
    if (status === 'completed') completionNote = waiting.change.note ?? null;
  }
  const next = conflict || failed ? [] : (NEXT_STEPS[status as WorkOrderStatus] ?? []);
  return { status, holdReason, completionNote, known, unsent, conflict, failed, next };
}

/** A maps search for an address (the platform's maps app opens it where it can). */
export function mapsLink(address: string): string {
  return `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(address)}`;
}

/** A `tel:` link for a phone number as written (RFC 3966 keeps digits and a leading +). */
export function telLink(phone: string): string {
  return `tel:${phone.replace(/[^\d+]/g, '')}`;
}

/** The groups of the jobs list, in the order they are shown. */
export type JobGroup = 'overdue' | 'today' | 'upcoming' | 'done';

export const JOB_GROUP_TITLES: Record<JobGroup, string> = {
  overdue: 'Overdue',
  today: 'Today',
  upcoming: 'Upcoming',
  done: 'Done',
};

/**
 * Sorts jobs into overdue (not done, due before today), today, upcoming (later, or not scheduled)
 * and done, by the device's own calendar day. `statusOf` gives the status to go by (the device's
 * own changes included). Each group is in time order; unscheduled jobs come last, done jobs newest first.
 */
export function groupJobs<Row extends object>(
  rows: Row[],
  statusOf: (row: Row) => string,
  now: Date,
): Record<JobGroup, Row[]> {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const startOfTomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1).getTime();
  const at = (row: Row) => {
    const when = (row as { scheduledFor?: unknown }).scheduledFor;
    const time = typeof when === 'string' ? Date.parse(when) : NaN;
    return Number.isNaN(time) ? undefined : time;
  };
  const groups: Record<JobGroup, Row[]> = { overdue: [], today: [], upcoming: [], done: [] };
  for (const row of rows) {
    const time = at(row);
    if (statusOf(row) === 'completed') groups.done.push(row);
    else if (time !== undefined && time < startOfToday) groups.overdue.push(row);
    else if (time !== undefined && time < startOfTomorrow) groups.today.push(row);
    else groups.upcoming.push(row);
  }
  const ascending = (a: Row, b: Row) => (at(a) ?? Infinity) - (at(b) ?? Infinity);
  groups.overdue.sort(ascending);
  groups.today.sort(ascending);
  groups.upcoming.sort(ascending);
  groups.done.sort((a, b) => (at(b) ?? -Infinity) - (at(a) ?? -Infinity));
  return groups;
}

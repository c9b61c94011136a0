import { describe, expect, it } from 'vitest';
import { groupJobs, jobState, mapsLink, telLink } from './jobs.js';
import type { StatusChangeItem } from './outbox-items.js';

const row = { id: 'WO-3001', status: 'scheduled', version: 1, etag: '"WO-3001.v1"', holdReason: null };

function item(overrides: Partial<StatusChangeItem>): StatusChangeItem {
  return {
    kind: 'status',
    id: crypto.randomUUID(),
    key: 'k',
    user: 'u',
    createdAt: 0,
    order: 0,
    attempts: 0,
    status: 'pending',
    change: { workOrderId: 'WO-3001', status: 'in_progress' },
    seen: { status: 'scheduled', version: 1, etag: '"WO-3001.v1"' },
    ...overrides,
  };
}

describe('jobState', () => {
  it('is Fentu’s word when nothing was changed here', () => {
    expect(jobState(row, [])).toMatchObject({ status: 'scheduled', next: [{ status: 'in_progress', label: 'Start' }] });
  });

  it('shows the newest unsent change, with its reason', () => {
    const state = jobState(row, [
      item({}),
      item({ change: { workOrderId: 'WO-3001', status: 'on_hold', reason: 'parts' } }),
    ]);
    expect(state).toMatchObject({ status: 'on_hold', holdReason: 'parts', next: [{ status: 'in_progress' }] });
    expect(state.unsent).toHaveLength(2);
  });

  it('a sent change newer than the saved list wins; a newer list wins over it', () => {
    const sent = item({ status: 'sent', result: { status: 'in_progress', version: 2, etag: '"WO-3001.v2"' } });
    expect(jobState(row, [sent])).toMatchObject({ status: 'in_progress', known: { etag: '"WO-3001.v2"' } });
    const newer = { ...row, status: 'completed', version: 3, etag: '"WO-3001.v3"' };
    expect(jobState(newer, [sent])).toMatchObject({ status: 'completed', next: [] });
  });

  it('offers no step while a change waits for a choice or was refused', () => {
    const conflict = item({ status: 'conflict', theirs: { status: 'on_hold', version: 2, etag: '"WO-3001.v2"' } });
    expect(jobState(row, [conflict])).toMatchObject({ conflict, next: [] });
    const failed = item({ status: 'failed' });
    expect(jobState(row, [failed])).toMatchObject({ failed, next: [] });
    // Settled with the office's version: it is history, not a change waiting, and theirs stands.
    const kept = jobState(row, [{ ...conflict, status: 'superseded' }]);
    expect(kept).toMatchObject({ status: 'on_hold', known: { etag: '"WO-3001.v2"' } });
    expect(kept.next).toEqual([{ status: 'in_progress', label: 'Resume' }]);
  });
});

describe('links', () => {
  it('tel: keeps the digits and the plus; maps searches the whole address', () => {
    expect(telLink('+44 20 7946 0101')).toBe('tel:+442079460101');
    expect(mapsLink('12 Quay Street, Bristol BS1 4DJ')).toBe(
      'https://www.google.com/maps/search/?api=1&query=12%20Quay%20Street%2C%20Bristol%20BS1%204DJ',
    );
  });
});

describe('groupJobs', () => {
  it('sorts by the device’s day: overdue, today, upcoming (unscheduled last), done newest first', () => {
    const now = new Date(2026, 11, 7, 9, 30);
    const local = (day: number, hour: number) => new Date(2026, 11, day, hour).toISOString();
    const rows = [
      { id: 'a', status: 'scheduled', scheduledFor: local(8, 8) },
      { id: 'b', status: 'in_progress', scheduledFor: local(6, 23) },
      { id: 'c', status: 'scheduled', scheduledFor: local(7, 16) },
      { id: 'd', status: 'scheduled', scheduledFor: local(7, 0) },
      { id: 'e', status: 'scheduled', scheduledFor: null },
      { id: 'f', status: 'completed', scheduledFor: local(1, 9) },
      { id: 'g', status: 'completed', scheduledFor: local(7, 8) },
      { id: 'h', status: 'on_hold', scheduledFor: local(2, 9) },
    ];
    const groups = groupJobs(rows, (row) => row.status, now);
    const ids = Object.fromEntries(Object.entries(groups).map(([name, list]) => [name, list.map((row) => row.id)]));
    expect(ids).toEqual({ overdue: ['h', 'b'], today: ['d', 'c'], upcoming: ['a', 'e'], done: ['g', 'f'] });
  });

  it('goes by the status it is given (a change made on this device)', () => {
    const rows = [{ id: 'a', status: 'scheduled', scheduledFor: null }];
    expect(groupJobs(rows, () => 'completed', new Date()).done).toHaveLength(1);
  });
});

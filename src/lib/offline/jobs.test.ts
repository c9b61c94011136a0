import { describe, expect, it } from 'vitest';
import { jobState, mapsLink, telLink } from './jobs.js';
import type { StatusChangeItem } from './outbox.js';

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

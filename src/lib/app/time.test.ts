import { describe, expect, it } from 'vitest';
import { formatClock, formatScheduled, formatWhen } from './time.js';

describe('formatWhen', () => {
  const now = new Date(2026, 11, 7, 9, 30);
  it.each([
    [new Date(2026, 11, 6, 16, 5), 'yesterday 16:05'],
    [new Date(2026, 11, 7, 8, 0), 'today 8:00'],
    [new Date(2026, 11, 8, 7, 30), 'tomorrow 7:30'],
  ])('%s → %s', (at, text) => {
    expect(formatWhen(at, now, 'en-GB')).toBe(text);
  });

  it('names the day further away, and the year only when it is not this one', () => {
    expect(formatWhen(new Date(2026, 10, 24, 8, 0), now, 'en-GB')).toMatch(/^Tue,? 24 Nov,? 8:00$/);
    expect(formatWhen(new Date(2025, 10, 24, 8, 0), now, 'en-GB')).toContain('2025');
  });

  it('gives seconds when asked', () => {
    expect(formatClock(new Date(2026, 11, 7, 16, 5, 9), 'en-GB', { seconds: true })).toBe('16:05:09');
  });

  it('says when nothing is scheduled', () => {
    expect(formatScheduled(null, now, 'en-GB')).toBe('Not scheduled');
    expect(formatScheduled('not a date', now, 'en-GB')).toBe('Not scheduled');
  });
});

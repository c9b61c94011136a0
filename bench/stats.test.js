import { describe, expect, it } from 'vitest';
import { compareToBudget, median, quantile, verdict } from './stats.js';

describe('quantile (nearest rank)', () => {
  const twenty = Array.from({ length: 20 }, (_, i) => 20 - i); // 20, 19, …, 1: unsorted on purpose

  it('takes the 19th of 20 values as p95 and the 20th as p100', () => {
    expect(quantile(twenty, 0.95)).toBe(19);
    expect(quantile(twenty, 1)).toBe(20);
    expect(quantile(twenty, 0)).toBe(1);
  });

  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    quantile(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses no values and a quantile outside 0..1', () => {
    expect(() => quantile([], 0.5)).toThrow('no values');
    expect(() => quantile([1], 95)).toThrow('not between 0 and 1');
  });
});

describe('median', () => {
  it('is the middle value of an odd count and the mean of the middle two of an even one', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('compareToBudget', () => {
  const budget = {
    'js.home.gzipBytes': { max: 100, unit: 'B' },
    'm2m.route.throughputPerSecond': { min: 300, unit: 'calls/s' },
    'requests.discovery': { max: 0, unit: 'requests' },
    'soak.forcedSignOuts': { max: 0, unit: 'tabs' },
  };

  it('names each figure over its max or under its min, and only those', () => {
    const { over, rows } = compareToBudget(
      { 'js.home.gzipBytes': 101, 'm2m.route.throughputPerSecond': 299, 'requests.discovery': 0, unbudgeted: 1e9 },
      budget,
    );
    expect(over).toEqual(['js.home.gzipBytes', 'm2m.route.throughputPerSecond']);
    expect(rows.find((r) => r.name === 'unbudgeted')).toMatchObject({ over: false, limit: undefined });
  });

  it('treats a figure exactly at its limit as within budget', () => {
    expect(compareToBudget({ 'js.home.gzipBytes': 100, 'requests.discovery': 0 }, budget).over).toEqual([]);
  });

  it('counts a figure that is not a number (a failed measurement) as over budget', () => {
    expect(compareToBudget({ 'js.home.gzipBytes': NaN }, budget).over).toEqual(['js.home.gzipBytes']);
  });

  it('lists budgeted figures the run did not produce, within the prefixes this run covers', () => {
    const { missing } = compareToBudget({ 'js.home.gzipBytes': 1 }, budget, { only: ['js.', 'requests.', 'm2m.'] });
    expect(missing).toEqual(['m2m.route.throughputPerSecond', 'requests.discovery']);
  });

  it('says which bound a row is held to', () => {
    const [home, throughput] = compareToBudget(
      { 'js.home.gzipBytes': 101, 'm2m.route.throughputPerSecond': 400 },
      budget,
    ).rows;
    expect(verdict(home)).toBe('OVER BUDGET (≤ 100)');
    expect(verdict(throughput)).toBe('ok (≥ 300)');
  });
});

// Pure helpers of the bench: order statistics and the comparison with bench/budget.json.

/** The value at quantile `q` (0..1) of `values` by the nearest-rank method: always one of the values. */
export function quantile(values, q) {
  if (values.length === 0) throw new Error('no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile ${q} is not between 0 and 1`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/** The middle value, or the mean of the two middle values for an even count. */
export function median(values) {
  if (values.length === 0) throw new Error('no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Each figure beside its budget: `{ name, value, unit, limit, over }`. A budget entry has `max`,
 * `min` or both; a figure without one is shown but never over. Budget entries with no figure are
 * reported as `missing`, so a renamed figure cannot silently drop out of the budget.
 */
export function compareToBudget(figures, budget, { only } = {}) {
  const rows = Object.entries(figures).map(([name, value]) => {
    const limit = budget[name];
    const tooHigh = limit?.max !== undefined && !(value <= limit.max);
    const tooLow = limit?.min !== undefined && !(value >= limit.min);
    return { name, value, unit: limit?.unit ?? '', limit, over: tooHigh || tooLow };
  });
  const missing = Object.keys(budget).filter(
    (name) => !(name in figures) && (!only || only.some((prefix) => name.startsWith(prefix))),
  );
  return { rows, over: rows.filter((r) => r.over).map((r) => r.name), missing };
}

/** "ok (≤ 12)", "OVER BUDGET (max 12)" or "" for a row of `compareToBudget`. */
export function verdict(row) {
  if (!row.limit) return '';
  const bounds = [
    row.limit.max !== undefined && `≤ ${row.limit.max}`,
    row.limit.min !== undefined && `≥ ${row.limit.min}`,
  ]
    .filter(Boolean)
    .join(', ');
  return row.over ? `OVER BUDGET (${bounds})` : `ok (${bounds})`;
}

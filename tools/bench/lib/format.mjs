// Number formatting for the tables: a figure that was not measured prints as an em dash, never as NaN.
export const DASH = '—';

export function int(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : DASH;
}

export function fixed(value, digits = 1) {
  return Number.isFinite(value) ? value.toFixed(digits) : DASH;
}

/** "12,345 (11,000–13,000)": the median with the min–max of the runs when there were several. */
export function medianRange(summary, format = int) {
  if (!summary || summary.n === 0) return DASH;
  if (summary.n === 1 || summary.min === summary.max) return format(summary.median);
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`;
}

export function percent(value) {
  return Number.isFinite(value) ? `${Math.round(value * 100)}%` : DASH;
}

export function times(value, digits = 1) {
  return Number.isFinite(value) ? `${value.toFixed(digits)}×` : DASH;
}

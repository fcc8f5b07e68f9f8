// The line that shows the bench is alive: overall elapsed time, the phase, and what the pipeline holds.
// On a terminal it rewrites itself in place; in a log (CI, a pipe) it prints every few seconds.
const interactive = Boolean(process.stdout.isTTY);
const benchStart = performance.now();
let lastPrinted = 0;
let lineOpen = false;

function clock(seconds) {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function compact(n) {
  if (!Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Updates the progress line for `phase` with the latest sample. */
export function progress(phase, { t, accepted, rows, backlog, note } = {}) {
  const elapsed = (performance.now() - benchStart) / 1000;
  const parts = [`[bench ${clock(elapsed)}] ${phase}`];
  if (t !== undefined) parts.push(`t=${t.toFixed(0)}s`);
  if (accepted !== undefined) parts.push(`accepted ${compact(accepted)}`);
  if (rows !== undefined) parts.push(`rows in PG ${compact(rows)}`);
  if (backlog !== undefined) parts.push(`backlog ${compact(backlog)}`);
  if (note) parts.push(note);
  const line = parts.join('  ');
  if (interactive) {
    process.stdout.write(`\r\x1b[2K${line}`);
    lineOpen = true;
  } else if (elapsed - lastPrinted >= 5) {
    process.stdout.write(`${line}\n`);
    lastPrinted = elapsed;
  }
}

/** A line that stays (a result, a step): ends the progress line first. */
export function say(text) {
  if (lineOpen) process.stdout.write('\r\x1b[2K');
  lineOpen = false;
  process.stdout.write(`${text}\n`);
}

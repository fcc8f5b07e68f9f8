import { existsSync, mkdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogTable } from './database';
import type { LoadRun } from './load-generator';
import { setTimeout as sleep } from 'node:timers/promises';
import { workspaceRoot } from './workspace';

/** What one fault scenario did to the client's entries: the figures the issue asks to quote. */
export interface FaultFigures {
  scenario: string;
  /** HTTP requests sent, and entries in them. */
  requests: number;
  sent: number;
  /** Entries whose request got a 2xx. */
  acked: number;
  /** Rows of this load found in `logs` (duplicates included). */
  rows: number;
  /** Acknowledged entries with no row. */
  missing: number;
  /** Rows beyond the first for the same entry. */
  duplicates: number;
  /** Entries whose request got no 2xx (an error status or no answer): the client retries those. */
  non2xx: number;
  /** Of those, how many were stored anyway (allowed: e.g. a write whose answer was lost). */
  non2xxStored: number;
  /** Rows that match no entry sent (must be 0). */
  unexpected: number;
  statuses: Record<string, number>;
  notes?: Record<string, unknown>;
}

export function resultsFile(): string {
  return join(workspaceRoot(), 'tmp', 'fault-results.json');
}

/** Starts an empty results file for this run (jest globalSetup). */
export function resetResults(): void {
  mkdirSync(join(workspaceRoot(), 'tmp'), { recursive: true });
  writeFileSync(
    resultsFile(),
    JSON.stringify({ startedAt: new Date().toISOString(), scenarios: {} }, null, 2) + '\n',
  );
}

function recordResult(figures: FaultFigures): void {
  const file = resultsFile();
  const current = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { startedAt: string; scenarios: Record<string, unknown> })
    : { startedAt: new Date().toISOString(), scenarios: {} };
  current.scenarios[figures.scenario] = { ...figures, at: new Date().toISOString() };
  writeFileSync(file, JSON.stringify(current, null, 2) + '\n');
}

/**
 * Writes a line to stdout at once: a buffered process.stdout.write to a pipe can still be pending
 * when the test runner exits, and the figures must not go missing from the log.
 */
export function printLine(text: string): void {
  try {
    writeSync(1, `${text}\n`);
  } catch {
    process.stdout.write(`${text}\n`);
  }
}

export function readResults(): { startedAt: string; scenarios: Record<string, FaultFigures> } | null {
  return existsSync(resultsFile()) ? JSON.parse(readFileSync(resultsFile(), 'utf8')) : null;
}

export function summaryLine(f: FaultFigures): string {
  const notes = f.notes
    ? ' ' +
      Object.entries(f.notes)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
        .join(' ')
    : '';
  return `FAULT ${f.scenario}: sent=${f.sent} acked=${f.acked} rows=${f.rows} missing=${f.missing} duplicates=${f.duplicates} non2xx=${f.non2xx} non2xxStored=${f.non2xxStored} unexpected=${f.unexpected} requests=${f.requests}${notes}`;
}

/**
 * Waits (bounded) until the pipeline has drained and every acknowledged entry has a row, then
 * compares the client's record with the table: acknowledged entries must be there exactly once.
 * Prints one FAULT line and adds the figures to tmp/fault-results.json, also when they are bad, so a
 * failure shows what went wrong.
 */
export async function reconcile(
  scenario: string,
  table: LogTable,
  load: LoadRun,
  drained: () => Promise<boolean>,
  notes?: Record<string, unknown>,
  timeoutMs = 45000,
): Promise<FaultFigures> {
  const acked = new Set(load.acked);
  const deadline = Date.now() + timeoutMs;
  let stored = new Map<string, number>();
  for (;;) {
    let done = false;
    try {
      stored = await table.storedMessages(load.service);
      done = [...acked].every((key) => stored.has(key)) && (await drained());
    } catch {
      done = false;
    }
    if (done || Date.now() > deadline) break;
    await sleep(250);
  }
  const sent = new Set(load.sent);
  const notAcked = load.notAcked;
  let rows = 0;
  let duplicates = 0;
  let unexpected = 0;
  for (const [key, n] of stored) {
    rows += n;
    duplicates += n - 1;
    if (!sent.has(key)) unexpected += n;
  }
  const figures: FaultFigures = {
    scenario,
    requests: load.outcomes.length,
    sent: sent.size,
    acked: acked.size,
    rows,
    missing: [...acked].filter((key) => !stored.has(key)).length,
    duplicates,
    non2xx: notAcked.length,
    non2xxStored: notAcked.filter((key) => stored.has(key)).length,
    unexpected,
    statuses: load.countByStatus(),
    notes,
  };
  printLine(summaryLine(figures));
  recordResult(figures);
  return figures;
}

/**
 * The rule of issue 4: every acknowledged entry is stored, none twice, nothing unknown appears.
 * `onViolation` runs first when it does not hold (e.g. to keep the processes' logs).
 */
export function expectExactlyOnce(figures: FaultFigures, onViolation?: () => void): void {
  if (figures.missing + figures.duplicates + figures.unexpected > 0) onViolation?.();
  expect({
    missing: figures.missing,
    duplicates: figures.duplicates,
    unexpected: figures.unexpected,
  }).toEqual({ missing: 0, duplicates: 0, unexpected: 0 });
  expect(figures.acked).toBeGreaterThan(0);
  expect(figures.rows).toBe(figures.acked + figures.non2xxStored);
}

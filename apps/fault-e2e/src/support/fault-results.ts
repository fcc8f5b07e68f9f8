import { existsSync, mkdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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
  /** Of those, how many were stored anyway (allowed only for requests in flight at a fault). */
  non2xxStored: number;
  /** Entries of the requests in flight while a fault struck: the bound on non2xxStored. */
  inFlightAtFault: number;
  /** Refused entries stored although no fault explains it (must be 0). */
  non2xxStoredUnexplained: number;
  /** Rows that match no entry sent (must be 0). */
  unexpected: number;
  /** Every stream entry was delivered to the consumer group when the comparison was made. */
  backlogDrained: boolean;
  /** The consumer group's pending list was empty when the comparison was made. */
  pendingEmpty: boolean;
  /** The pipeline had not settled by the deadline: the comparison is of whatever had landed. */
  deadlinePassed: boolean;
  waitedMs: number;
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

export function recordResult(figures: FaultFigures): void {
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
  return (
    `FAULT ${f.scenario}: sent=${f.sent} acked=${f.acked} rows=${f.rows} missing=${f.missing} duplicates=${f.duplicates}` +
    ` non2xx=${f.non2xx} non2xxStored=${f.non2xxStored}/${f.inFlightAtFault} unexplained=${f.non2xxStoredUnexplained}` +
    ` unexpected=${f.unexpected} requests=${f.requests} drained=${f.backlogDrained} pendingEmpty=${f.pendingEmpty}` +
    ` deadlinePassed=${f.deadlinePassed} waitedMs=${f.waitedMs}${notes}`
  );
}

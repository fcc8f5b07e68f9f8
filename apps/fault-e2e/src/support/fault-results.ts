import { existsSync, mkdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogTable } from './database';
import type { LoadRun } from './load-generator';
import type { DrainState } from './stream';
import { tallyByKey } from '@logpipe/e2e-support';
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
  return (
    `FAULT ${f.scenario}: sent=${f.sent} acked=${f.acked} rows=${f.rows} missing=${f.missing} duplicates=${f.duplicates}` +
    ` non2xx=${f.non2xx} non2xxStored=${f.non2xxStored}/${f.inFlightAtFault} unexplained=${f.non2xxStoredUnexplained}` +
    ` unexpected=${f.unexpected} requests=${f.requests} drained=${f.backlogDrained} pendingEmpty=${f.pendingEmpty}` +
    ` deadlinePassed=${f.deadlinePassed} waitedMs=${f.waitedMs}${notes}`
  );
}

/**
 * Waits (bounded) until the backlog has drained, the consumer group's pending list is empty and
 * every acknowledged entry has a row, then compares the client's record with the table key by key.
 * Records whether it got there or the deadline passed (expectExactlyOnce fails then: a comparison
 * of whatever had landed proves nothing). Prints one FAULT line and adds the figures to
 * tmp/fault-results.json, also when they are bad, so a failure shows what went wrong.
 */
export async function reconcile(
  scenario: string,
  table: LogTable,
  load: LoadRun,
  stream: { drainState(): Promise<DrainState> },
  notes?: Record<string, unknown>,
  timeoutMs = 45000,
): Promise<FaultFigures> {
  const acked = load.acked;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let stored = new Map<string, number>();
  let state: DrainState = { backlogDrained: false, pendingEmpty: false };
  let settled = false;
  for (;;) {
    try {
      stored = await table.storedMessages(load.service);
      state = await stream.drainState();
      settled = state.backlogDrained && state.pendingEmpty && acked.every((key) => stored.has(key));
    } catch {
      settled = false;
    }
    if (settled || Date.now() > deadline) break;
    await sleep(250);
  }
  const inFlightAtFault = new Set(load.inFlightAtFaults);
  const tally = tallyByKey(stored, acked, load.notAcked, inFlightAtFault);
  const figures: FaultFigures = {
    scenario,
    requests: load.outcomes.length,
    sent: load.sent.length,
    acked: tally.acked,
    rows: tally.rows,
    missing: tally.missing,
    duplicates: tally.duplicates,
    non2xx: tally.refused,
    non2xxStored: tally.refusedStored,
    inFlightAtFault: inFlightAtFault.size,
    non2xxStoredUnexplained: tally.refusedStoredUnexplained,
    unexpected: tally.unexpected,
    ...state,
    deadlinePassed: !settled,
    waitedMs: Date.now() - started,
    statuses: load.countByStatus(),
    notes,
  };
  printLine(summaryLine(figures));
  recordResult(figures);
  return figures;
}

/**
 * The rule of issue 4, made strict by issue 14: the pipeline settled (backlog drained, nothing
 * pending) before the deadline; every acknowledged entry is stored, none twice, nothing unknown
 * appears; a refused entry is stored only when its request was in flight at a fault.
 * `onViolation` runs first when it does not hold (e.g. to keep the processes' logs).
 */
export function expectExactlyOnce(figures: FaultFigures, onViolation?: () => void): void {
  const verdict = {
    deadlinePassed: figures.deadlinePassed,
    backlogDrained: figures.backlogDrained,
    pendingEmpty: figures.pendingEmpty,
    missing: figures.missing,
    duplicates: figures.duplicates,
    unexpected: figures.unexpected,
    non2xxStoredUnexplained: figures.non2xxStoredUnexplained,
  };
  const wanted = {
    deadlinePassed: false,
    backlogDrained: true,
    pendingEmpty: true,
    missing: 0,
    duplicates: 0,
    unexpected: 0,
    non2xxStoredUnexplained: 0,
  };
  if (JSON.stringify(verdict) !== JSON.stringify(wanted)) onViolation?.();
  expect(verdict).toEqual(wanted);
  expect(figures.non2xxStored).toBeLessThanOrEqual(figures.inFlightAtFault);
  expect(figures.acked).toBeGreaterThan(0);
  expect(figures.rows).toBe(figures.acked + figures.non2xxStored);
}

import { tallyByKey } from '@logpipe/e2e-support';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogTable } from './database';
import { type FaultFigures, printLine, recordResult, summaryLine } from './fault-results';
import type { LoadRun } from './load-generator';
import type { DrainState } from './stream';

// Apart from fault-results.ts because jest's globalSetup loads that one without the path aliases.

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

import { prepareDeadLetterReplay } from '@logpipe/log-schema';
import type { DeadLetter, DeadLetters, DeadLetterSelector } from '@logpipe/stream-client';

/** Where a command writes: stdout for results, stderr for problems. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export interface DeadListOptions {
  limit: number;
  after?: string;
  reason?: string;
  json: boolean;
}

const preview = (payload: string | null): string =>
  payload === null ? '(no payload)' : payload.length > 120 ? `${payload.slice(0, 120)}…` : payload;

/** `dead list`: counts by reason, then the oldest entries (a page). */
export async function listDeadLetters(
  deadLetters: DeadLetters,
  options: DeadListOptions,
  io: Output,
): Promise<number> {
  const summary = await deadLetters.summary();
  const page = await deadLetters.list({ count: options.limit, after: options.after, reason: options.reason });
  if (options.json) {
    io.out(JSON.stringify({ ...summary, ...page }));
    return 0;
  }
  io.out(`${summary.total} dead letter(s)`);
  for (const { reason, count } of summary.reasons) io.out(`${String(count).padStart(8)}  ${reason}`);
  if (page.entries.length > 0) io.out('');
  for (const letter of page.entries) {
    io.out(`${letter.id}  ${letter.failedAt ?? '-'}  ${letter.reason}`);
    io.out(`    ${preview(letter.payload)}`);
  }
  if (page.next !== null) io.out(`more: logpipe dead list --after ${page.next}`);
  return 0;
}

/** `dead show <id>`: every field, the payload in full. */
export async function showDeadLetter(
  deadLetters: DeadLetters,
  id: string,
  json: boolean,
  io: Output,
): Promise<number> {
  const letter = await deadLetters.get(id);
  if (letter === null) {
    io.err(`no dead letter ${id}`);
    return 1;
  }
  if (json) {
    io.out(JSON.stringify(letter));
    return 0;
  }
  const fields: [string, string | null][] = [
    ['id', letter.id],
    ['source stream id', letter.sourceId],
    ['failed at', letter.failedAt],
    ['consumer', letter.consumer],
    ['reason', letter.reason],
    ['payload', letter.payload],
  ];
  for (const [name, value] of fields) io.out(`${name.padEnd(17)} ${value ?? '-'}`);
  return 0;
}

/**
 * `dead replay`: each selected entry is decoded again (log-schema's checks), keeps its event id (or gets
 * one derived from its dead-letter id) and is queued on the log stream, then removed from the dead
 * letters unless --keep. Exit 1 when any entry was skipped.
 */
export async function replayDeadLetters(
  deadLetters: DeadLetters,
  selector: DeadLetterSelector,
  options: { keep: boolean; json: boolean },
  io: Output,
): Promise<number> {
  const result = await deadLetters.replay(
    selector,
    (letter: DeadLetter) => prepareDeadLetterReplay(letter.payload, letter.id),
    { keep: options.keep },
  );
  if (options.json) {
    io.out(JSON.stringify(result));
  } else {
    for (const { id, streamId } of result.queued) io.out(`replayed ${id} -> ${streamId}`);
    for (const { id, reason } of result.skipped) io.err(`skipped ${id}: ${reason}`);
    io.out(`${result.queued.length} replayed, ${result.skipped.length} skipped`);
  }
  return result.skipped.length === 0 ? 0 : 1;
}

/** `dead purge`: deletes the selected entries for good. */
export async function purgeDeadLetters(
  deadLetters: DeadLetters,
  selector: DeadLetterSelector,
  json: boolean,
  io: Output,
): Promise<number> {
  const purged = await deadLetters.purge(selector);
  io.out(json ? JSON.stringify({ purged }) : `${purged} purged`);
  return 0;
}

import type { LogEntry } from './log-entry.types';
import { SingleEntryChunks, type StreamAppender } from './single-entry-chunks';
import { decodeStreamValue } from './stream-codec';
import { sampleLogEntry } from './testing/sample-log-entry';

const entry = (message: string, attributes: Record<string, unknown> | null = null): LogEntry =>
  sampleLogEntry(message, { service: 'api', attributes, tenant: 'acme' });

function recordingAppender() {
  const calls: { values: readonly string[]; entryCount?: number }[] = [];
  let nextId = 1;
  const appender: StreamAppender = {
    append: async (value) => {
      calls.push({ values: [value] });
      return `${nextId++}-0`;
    },
    appendChunks: async (values, entryCount) => {
      calls.push({ values, entryCount });
      return values.map(() => `${nextId++}-0`);
    },
  };
  return { appender, calls };
}

describe('SingleEntryChunks', () => {
  it('writes a lone entry as a version 2 value and answers its plain stream id', async () => {
    const { appender, calls } = recordingAppender();
    const singles = new SingleEntryChunks(appender, { maxEntries: 500, maxBytes: 256 * 1024 });
    expect(await singles.append(entry('alone'))).toBe('1-0');
    expect(calls).toHaveLength(1);
    expect(decodeStreamValue(calls[0].values[0]).chunk).toBe(false);
  });

  it('cuts the entries of one turn by CHUNK_MAX_BYTES and answers each with chunk id and index', async () => {
    const { appender, calls } = recordingAppender();
    // Room for two of these entries per chunk, not three.
    const singles = new SingleEntryChunks(appender, { maxEntries: 500, maxBytes: 200 });
    const first = singles.append(entry('a'));
    const rest = [singles.append(entry('b')), singles.append(entry('c'))];
    const ids = await Promise.all([first, ...rest]);
    // Two entries fill the 200-byte chunk: that group is sent at once, 'c' alone at the turn's end.
    expect(calls.map((call) => call.entryCount)).toEqual([2, undefined]);
    expect(decodeStreamValue(calls[0].values[0]).slots).toHaveLength(2);
    expect(decodeStreamValue(calls[1].values[0]).chunk).toBe(false);
    expect(ids).toEqual(['1-0#0', '1-0#1', '2-0']);
  });

  it('fails only the request whose entry cannot be encoded; the others of its turn are written', async () => {
    const { appender, calls } = recordingAppender();
    const singles = new SingleEntryChunks(appender, { maxEntries: 500, maxBytes: 256 * 1024 });
    // Validated entries never hold a BigInt; this one stands for any encoding failure.
    const answers = await Promise.allSettled([
      singles.append(entry('fine')),
      singles.append(entry('unencodable', { big: BigInt(1) })),
      singles.append(entry('also fine')),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toHaveLength(1);
    expect(
      decodeStreamValue(calls[0].values[0]).slots.map((slot) => (slot.ok ? slot.entry.message : null)),
    ).toEqual(['fine', 'also fine']);
  });

  it('answers every request of a group with the failure of its shared append', async () => {
    const refused = new Error('Redis away');
    const appender: StreamAppender = {
      append: async () => Promise.reject(refused),
      appendChunks: async () => Promise.reject(refused),
    };
    const singles = new SingleEntryChunks(appender, { maxEntries: 500, maxBytes: 256 * 1024 });
    const answers = await Promise.allSettled([singles.append(entry('a')), singles.append(entry('b'))]);
    expect(answers).toEqual([
      { status: 'rejected', reason: refused },
      { status: 'rejected', reason: refused },
    ]);
  });
});

import type { LogEntry } from './log-entry.types';
import { SingleEntryChunks, type StreamAppender } from './single-entry-chunks';
import { decodeStreamValue } from './stream-codec';

const entry = (message: string, attributes: Record<string, unknown> | null = null): LogEntry => ({
  timestamp: 1795651200000,
  receivedAt: 1795651200001,
  level: 'info',
  service: 'api',
  message,
  attributes,
  traceId: null,
  spanId: null,
  eventId: null,
  tenant: 'acme',
});

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
    const ids = await Promise.all(['a', 'b', 'c'].map((m) => singles.append(entry(m))));
    expect(calls).toHaveLength(1);
    expect(calls[0].entryCount).toBe(3);
    expect(calls[0].values.map((v) => decodeStreamValue(v).slots.length)).toEqual([2, 1]);
    expect(ids).toEqual(['1-0#0', '1-0#1', '2-0#0']);
  });

  it('rejects every request of the turn when encoding throws, without throwing from the timer', async () => {
    const { appender, calls } = recordingAppender();
    const singles = new SingleEntryChunks(appender, { maxEntries: 500, maxBytes: 256 * 1024 });
    // Validated entries never hold a BigInt; this one stands for any encoding failure.
    const answers = await Promise.allSettled([
      singles.append(entry('fine')),
      singles.append(entry('unencodable', { big: BigInt(1) })),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toEqual([]);
  });
});

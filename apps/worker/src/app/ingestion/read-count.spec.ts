import { DEFAULT_CHUNK_MAX_BYTES } from '@logpipe/log-schema';
import { largestValueBytes, ReadCount } from './read-count';

const MiB = 1_048_576;
/** A budget far above what the entry tests read, so only the entry bound shows there. */
const NO_BYTE_BOUND = 1024 * MiB;

/** Reads a stream of identical messages `reads` times; returns the values' bytes of each read. */
function readUniform(
  count: ReadCount,
  reads: number,
  entriesPerMessage: number,
  valueBytes: number,
): number[] {
  const held: number[] = [];
  for (let i = 0; i < reads; i++) {
    const messages = count.value;
    held.push(messages * valueBytes);
    count.observe({
      messages,
      entries: messages * entriesPerMessage,
      largestEntries: entriesPerMessage,
      largestBytes: valueBytes,
    });
  }
  return held;
}

describe('ReadCount', () => {
  describe('entries', () => {
    it('reads BATCH_SIZE single-entry messages once it has seen them', () => {
      const count = new ReadCount(1000, NO_BYTE_BOUND);
      expect(count.value).toBe(10);
      readUniform(count, 60, 1, 300);
      expect(count.value).toBe(1000);
    });

    it('reads about BATCH_SIZE entries of chunks', () => {
      const count = new ReadCount(1000, NO_BYTE_BOUND);
      readUniform(count, 20, 500, 150_000);
      expect(count.value).toBe(2);
    });

    it('after chunks, grows back slowly, so a read holds at most MAX_OVERSHOOT batches of the largest chunk seen lately', () => {
      const count = new ReadCount(1000, NO_BYTE_BOUND);
      count.observe({ messages: 2, entries: 1000, largestEntries: 500, largestBytes: 150_000 });
      count.observe({ messages: 2, entries: 2, largestEntries: 1, largestBytes: 300 });
      expect(count.value).toBeLessThanOrEqual(Math.floor((10 * 1000) / 450));
      readUniform(count, 100, 1, 300);
      expect(count.value).toBe(1000);
    });
  });

  describe('bytes (READ_MAX_BYTES)', () => {
    it('holds at most READ_MAX_BYTES of values per read when entries are large, once it has seen them', () => {
      const budget = 4 * MiB;
      const count = new ReadCount(1000, budget);
      // Single entries near the entry size limit: BATCH_SIZE of them would be ~80 MB.
      const held = readUniform(count, 30, 1, 80_000);
      for (const bytes of held) expect(bytes).toBeLessThanOrEqual(budget);
      // ...and still reads as many as fit, not one at a time.
      expect(count.value).toBe(Math.floor(budget / 80_000));
    });

    it('holds at most READ_MAX_BYTES of chunks of large entries too', () => {
      const budget = 4 * MiB;
      const count = new ReadCount(1000, budget);
      // 50-entry chunks of 256 KiB (~5 KB entries): the entry bound alone reads 20 of them, 5 MiB.
      const held = readUniform(count, 30, 50, 256 * 1024);
      for (const bytes of held) expect(bytes).toBeLessThanOrEqual(budget);
    });

    it('reads one message at a time when one value is over the budget, never none', () => {
      const count = new ReadCount(1000, 65_536);
      expect(count.value).toBe(1);
      readUniform(count, 10, 1, 200_000);
      expect(count.value).toBe(1);
    });

    it('does not bind for ~300-byte entries: reads still hold BATCH_SIZE entries', () => {
      const count = new ReadCount(1000, 4 * MiB);
      readUniform(count, 60, 1, 300);
      expect(count.value).toBe(1000);
      const chunks = new ReadCount(1000, 4 * MiB);
      readUniform(chunks, 20, 500, 150_000);
      expect(chunks.value).toBe(2);
    });

    it('before anything was read, assumes values of ingest’s largest default chunk', () => {
      const count = new ReadCount(1000, 4 * DEFAULT_CHUNK_MAX_BYTES);
      expect(count.value).toBe(4);
    });

    it('after large values, grows back to BATCH_SIZE once the stream holds small ones again', () => {
      const count = new ReadCount(1000, 4 * MiB);
      readUniform(count, 30, 1, 80_000);
      expect(count.value).toBe(Math.floor((4 * MiB) / 80_000));
      readUniform(count, 100, 1, 300);
      expect(count.value).toBe(1000);
    });
  });
});

describe('largestValueBytes', () => {
  it('measures UTF-8 bytes, not characters, and counts a deleted entry as 0', () => {
    expect(
      largestValueBytes([
        { id: '1-0', payload: 'abc' },
        { id: '2-0', payload: 'éé' },
        { id: '3-0', payload: null },
      ]),
    ).toBe(4);
    expect(largestValueBytes([])).toBe(0);
  });
});

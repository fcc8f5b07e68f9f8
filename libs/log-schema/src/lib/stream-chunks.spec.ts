import fc from 'fast-check';
import { BodyFrame, BodyFrameWriter, type FramedBody } from './body-frames';
import { MAX_TENANT_LENGTH, MAX_TIMESTAMP_MS } from './log-entry.limits';
import { LogEntry } from './log-entry.types';
import { validateLogEntry } from './log-entry.validation';
import {
  CHUNK_OPENING_BYTES,
  chunkBytesOf,
  encodeLogChunks,
  encodeSubmittedChunks,
  submittedFitsChunks,
} from './stream-chunks';
import {
  CHUNK_PIECE_ENTRIES,
  decodeStreamValue,
  encodeChunkEntry,
  encodeLogChunk,
  encodeLogChunkOfEncoded,
  submittedChunkOpening,
} from './stream-codec';

function entry(i: number, message = `message ${i}`): LogEntry {
  return {
    timestamp: 1_764_151_200_000 + i,
    receivedAt: 1_764_151_200_500,
    level: 'info',
    service: 'checkout',
    message,
    attributes: { i },
    traceId: null,
    spanId: null,
    eventId: null,
    tenant: 'default',
  };
}

const entries = (count: number) => Array.from({ length: count }, (_, i) => entry(i));

/** The entries of each chunk, decoded back. */
function decoded(chunks: readonly Buffer[]): LogEntry[][] {
  return chunks.map((chunk) =>
    decodeStreamValue(chunk.toString('utf8')).slots.map((slot) => {
      if (!slot.ok) throw slot.error;
      return slot.entry;
    }),
  );
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** The plain rule: close a chunk when the next entry would pass either bound; each chunk's text. */
function filledOneByOne(all: LogEntry[], maxEntries: number, maxBytes: number): string[] {
  const chunks: string[] = [];
  let pending: string[] = [];
  let pendingBytes = CHUNK_OPENING_BYTES;
  for (const one of all) {
    const encoded = encodeChunkEntry(one);
    const size = chunkBytesOf(encoded);
    if (pending.length > 0 && (pending.length >= maxEntries || pendingBytes + size > maxBytes)) {
      chunks.push(encodeLogChunkOfEncoded(pending));
      pending = [];
      pendingBytes = CHUNK_OPENING_BYTES;
    }
    pending.push(encoded);
    pendingBytes += size;
  }
  if (pending.length > 0) chunks.push(encodeLogChunkOfEncoded(pending));
  return chunks;
}

/** encodeLogChunks' Buffers are the plain rule's chunks, as UTF-8. */
function expectCutAsOneByOne(messages: string[], maxEntries: number, maxBytes: number): void {
  const all = messages.map((text, i) => entry(i, text));
  expect(encodeLogChunks(all, { maxEntries, maxBytes })).toEqual(
    filledOneByOne(all, maxEntries, maxBytes).map((chunk) => Buffer.from(chunk, 'utf8')),
  );
}

const message = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ minLength: 200, maxLength: 900 }),
);

describe('encodeLogChunks', () => {
  it('puts at most maxEntries entries in a chunk, in order, none lost', () => {
    const all = entries(1001);
    const chunks = decoded(encodeLogChunks(all, { maxEntries: 500, maxBytes: UNBOUNDED }));
    expect(chunks.map((chunk) => chunk.length)).toEqual([500, 500, 1]);
    expect(chunks.flat()).toEqual(all);
  });

  it('writes fewer entries than maxEntries as one chunk', () => {
    const chunks = encodeLogChunks(entries(3), { maxEntries: 500, maxBytes: UNBOUNDED });
    expect(chunks).toHaveLength(1);
    expect(decoded(chunks)[0]).toEqual(entries(3));
  });

  it('closes a chunk before it would pass maxBytes, counting UTF-8 bytes of the whole stream value', () => {
    // Multi-byte characters: a count of UTF-16 units would let the chunk grow past the bound.
    const all = Array.from({ length: 40 }, (_, i) => entry(i, `€ ${'\u{1F4B3}'.repeat(i % 7)} ${i}`));
    const maxBytes = 1000;
    const chunks = encodeLogChunks(all, { maxEntries: 500, maxBytes });
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(maxBytes);
    // As full as allowed: the next chunk's first entry would not have fitted in the previous chunk.
    for (let i = 1; i < chunks.length; i++) {
      const next = decoded([chunks[i]])[0][0];
      expect(chunks[i - 1].length + bytes(encodeChunkEntry(next)) + 1).toBeGreaterThan(maxBytes);
    }
    expect(decoded(chunks).flat()).toEqual(all);
  });

  it('fills a chunk to exactly maxBytes', () => {
    const all = entries(4);
    const exact = encodeLogChunks(all.slice(0, 2), { maxEntries: 500, maxBytes: UNBOUNDED })[0].length;
    const chunks = encodeLogChunks(all, { maxEntries: 500, maxBytes: exact });
    expect(decoded(chunks)[0]).toHaveLength(2);
    expect(chunks[0].length).toBe(exact);
  });

  it('writes an entry bigger than maxBytes alone, as a chunk of one, between its neighbours', () => {
    const big = entry(1, 'x'.repeat(5000));
    const all = [entry(0), big, entry(2), entry(3)];
    const chunks = decoded(encodeLogChunks(all, { maxEntries: 500, maxBytes: 1024 }));
    expect(chunks).toEqual([[entry(0)], [big], [entry(2), entry(3)]]);
  });

  it('applies whichever bound comes first', () => {
    const all = entries(10);
    const perEntry = bytes(encodeChunkEntry(all[0])) + 1;
    // Room for 4 entries by size, 3 by count: count wins; then room for 2 by size, 3 by count: size wins.
    expect(
      decoded(encodeLogChunks(all, { maxEntries: 3, maxBytes: 3 + 4 * perEntry })).map((c) => c.length),
    ).toEqual([3, 3, 3, 1]);
    expect(
      decoded(encodeLogChunks(all, { maxEntries: 3, maxBytes: 3 + 2 * perEntry })).map((c) => c.length),
    ).toEqual([2, 2, 2, 2, 2]);
  });

  // encodeLogChunks encodes a whole window of entries at once while they fit and measures entry by
  // entry once they do not; whichever way it goes, it must cut exactly the chunks of the plain rule
  // (close a chunk when the next entry would pass either bound) and write exactly their text as UTF-8.
  it('cuts the same chunks, byte for byte, as filling them entry by entry', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 20, max: 4000 }),
        expectCutAsOneByOne,
      ),
      { numRuns: 2000 },
    );
  });

  it('cuts the same chunks, byte for byte, when a chunk is written from several pieces', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 4 * CHUNK_PIECE_ENTRIES }),
        fc.integer({ min: 1, max: 3 * CHUNK_PIECE_ENTRIES }),
        fc.integer({ min: 20, max: 200_000 }),
        expectCutAsOneByOne,
      ),
      { numRuns: 300 },
    );
  });

  it('writes a 1,000-entry chunk, made of many pieces, as the text of encodeLogChunk', () => {
    const all = entries(1000);
    const [chunk, ...rest] = encodeLogChunks(all, { maxEntries: 1000, maxBytes: UNBOUNDED });
    expect(rest).toEqual([]);
    expect(chunk).toEqual(Buffer.from(encodeLogChunk(all), 'utf8'));
    expect(decoded([chunk])[0]).toEqual(all);
  });
});

describe('encodeLogChunk', () => {
  it('writes the text of the entries encoded one by one and joined, for all or a range of them', () => {
    const all = [entry(0), entry(1, 'caf\u00e9 \u{1F4B3} "quoted"\n'), { ...entry(2), attributes: null }];
    expect(encodeLogChunk(all)).toBe(encodeLogChunkOfEncoded(all.map(encodeChunkEntry)));
    expect(encodeLogChunk(all, 1, 3)).toBe(encodeLogChunkOfEncoded(all.slice(1).map(encodeChunkEntry)));
  });
});

describe('encodeSubmittedChunks (entries as sent, version 4)', () => {
  const HEADER = { receivedAtMs: 1_764_151_200_500, tenant: 'acme' };
  const submittedEntry = (message: string) => ({ level: 'info', service: 'checkout', message });
  // 1 to 40 messages of entries that pass validation.
  const validMessages = fc.array(
    fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 120 })
      .filter((message) => validateLogEntry(submittedEntry(message), HEADER).ok),
    { minLength: 1, maxLength: 40 },
  );
  const messagesOf = (values: Buffer[]) =>
    values.map((value) =>
      decodeStreamValue(value.toString('utf8')).slots.map((slot) => {
        if (!slot.ok) throw slot.error;
        return slot.entry.message;
      }),
    );

  it('writes a JSON array body whole, text as sent, behind the header', () => {
    const body = ` [\n ${JSON.stringify(submittedEntry('a €'))} ,${JSON.stringify(submittedEntry('b'))}]\n`;
    const submitted = { jsonArray: Buffer.from(body), bodyBytes: bytes(body) };
    expect(submittedFitsChunks(submitted, 2, HEADER, { maxEntries: 2, maxBytes: 1024 })).toBe(true);
    const values = encodeSubmittedChunks(submitted, HEADER, { maxEntries: 2, maxBytes: 1024 });
    expect(values).toEqual([Buffer.from(`${submittedChunkOpening(1_764_151_200_500, 'acme')}${body}]`)]);
    expect(messagesOf(values)).toEqual([['a €', 'b']]);
  });

  it('writes the same value around a body read into a frame, in the frame itself, not in a copy', () => {
    const body = Buffer.from(
      `[${JSON.stringify(submittedEntry('a €'))},${JSON.stringify(submittedEntry('b'))}]`,
    );
    // The body arrives in pieces, as from a socket; one cut falls inside the two bytes of `€`.
    const cut = body.indexOf('€') + 1;
    const { body: read, frame } = writtenIntoFrame([body.subarray(0, cut), body.subarray(cut)], body.length);
    expect(read).toEqual(body);
    const limits = { maxEntries: 2, maxBytes: 1024 };
    const expected = encodeSubmittedChunks({ jsonArray: body, bodyBytes: body.length }, HEADER, limits);
    // The longest opening there is (latest time, longest tenant) still fits the room the frame leaves.
    const longest = { receivedAtMs: MAX_TIMESTAMP_MS, tenant: 't'.repeat(MAX_TENANT_LENGTH) };
    for (const header of [HEADER, longest]) {
      const [value] = encodeSubmittedChunks(
        { jsonArray: read, frame, bodyBytes: read.length },
        header,
        limits,
      );
      expect(value.buffer).toBe(frame.bytes.buffer);
      expect(value).toEqual(
        Buffer.from(`${submittedChunkOpening(header.receivedAtMs, header.tenant)}${body.toString()}]`),
      );
    }
    expect(messagesOf(expected)).toEqual([['a €', 'b']]);
  });

  it('copies a body whose frame has no room for the opening, or that is not in the frame', () => {
    const body = JSON.stringify([submittedEntry('a')]);
    const limits = { maxEntries: 1, maxBytes: 1024 };
    const expected = Buffer.from(`${submittedChunkOpening(HEADER.receivedAtMs, HEADER.tenant)}${body}]`);
    // Buffer.alloc is never a slice of Node's shared pool, where a copy could land too.
    const cramped = Buffer.alloc(body.length + 3);
    cramped.write(`--${body}-`);
    const inCramped = cramped.subarray(2, 2 + body.length);
    const elsewhere = writtenIntoFrame([Buffer.from(body)], body.length).frame;
    for (const frame of [new BodyFrame(cramped), elsewhere]) {
      const [value] = encodeSubmittedChunks(
        { jsonArray: inCramped, frame, bodyBytes: body.length },
        HEADER,
        limits,
      );
      expect(value).toEqual(expected);
      expect(value.buffer).not.toBe(frame.bytes.buffer);
    }
    // Neither frame was written to.
    expect(cramped.toString()).toBe(`--${body}-`);
  });

  it('says a JSON array over either bound does not fit (it would be encoded entry by entry)', () => {
    const body = JSON.stringify([submittedEntry('a'), submittedEntry('b €')]);
    // Counted in UTF-8 bytes of the body as received, not in characters.
    const whole = bytes(submittedChunkOpening(HEADER.receivedAtMs, HEADER.tenant)) + bytes(body) + 1;
    const fits = (maxEntries: number, maxBytes: number) =>
      submittedFitsChunks({ jsonArray: Buffer.from(body), bodyBytes: bytes(body) }, 2, HEADER, {
        maxEntries,
        maxBytes,
      });
    expect(fits(2, whole)).toBe(true);
    expect(fits(2, whole - 1)).toBe(false);
    expect(fits(1, UNBOUNDED)).toBe(false);
    expect(
      submittedFitsChunks({ jsonTexts: ['{}', '{}'], bodyBytes: 5 }, 2, HEADER, {
        maxEntries: 1,
        maxBytes: 1,
      }),
    ).toBe(true);
  });

  it('cuts lines into chunks within both bounds, in order, none lost, an oversized entry alone', () => {
    fc.assert(
      fc.property(
        validMessages,
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 100, max: 1200 }),
        (messages, maxEntries, maxBytes) => {
          const texts = messages.map((message) => JSON.stringify(submittedEntry(message)));
          const submitted = { jsonTexts: texts, bodyBytes: bytes(texts.join('\n')) };
          const values = encodeSubmittedChunks(submitted, HEADER, { maxEntries, maxBytes });
          const chunks = messagesOf(values);
          expect(chunks.flat()).toEqual(messages);
          let start = 0;
          chunks.forEach((chunk, i) => {
            expect(chunk.length).toBeLessThanOrEqual(maxEntries);
            if (chunk.length > 1) expect(values[i].length).toBeLessThanOrEqual(maxBytes);
            // Byte for byte the lines as sent, joined: what the string form of the value encoded to.
            const lines = texts.slice(start, start + chunk.length).join(',');
            expect(values[i]).toEqual(
              Buffer.from(`${submittedChunkOpening(HEADER.receivedAtMs, HEADER.tenant)}[${lines}]]`),
            );
            start += chunk.length;
          });
        },
      ),
    );
  });

  it('writes lines as sent (SubmittedLines) byte for byte as their texts, in their frame when it has room', () => {
    // What follows the last text: nothing, its newline, or blank lines after it.
    const endings = fc.constantFrom('', '\n', '\n\n', '\n  \t');
    fc.assert(
      fc.property(
        validMessages,
        endings,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 100, max: 8000 }),
        (messages, ending, maxEntries, maxBytes) => {
          const texts = messages.map((message) => JSON.stringify(submittedEntry(message)));
          const text = texts.join('\n') + ending;
          const ends: number[] = [];
          let at = -1;
          for (const line of texts) ends.push((at += bytes(line) + 1));
          const limits = { maxEntries, maxBytes };
          const expected = encodeSubmittedChunks(
            { jsonTexts: texts, bodyBytes: bytes(text) },
            HEADER,
            limits,
          );
          const framed = writtenIntoFrame([Buffer.from(text)], bytes(text));
          const copy = Buffer.from(text);
          for (const [body, frame] of [
            [framed.body, framed.frame],
            [copy, undefined],
          ] as const) {
            const submitted = { jsonTexts: texts, bodyBytes: bytes(text), lines: { body, ends }, frame };
            const values = encodeSubmittedChunks(submitted, HEADER, limits);
            expect(values).toEqual(expected);
            // One value from the body's bytes when it fits one chunk, in the frame when there is one.
            if (frame !== undefined) {
              const inFrame = expected.length === 1 && texts.length <= maxEntries;
              expect(values[0].buffer === frame.bytes.buffer).toBe(inFrame);
            }
          }
        },
      ),
    );
  });

  it('fills a value of lines to exactly maxBytes, as texts or as sent, and no further', () => {
    const texts = ['a', 'b', 'c'].map((message) => JSON.stringify(submittedEntry(message)));
    const twoOfThem = Buffer.from(
      `${submittedChunkOpening(HEADER.receivedAtMs, HEADER.tenant)}[${texts[0]},${texts[1]}]]`,
    );
    const text = texts.join('\n');
    const ends = [bytes(texts[0]), bytes(texts[0]) + 1 + bytes(texts[1]), bytes(text)];
    const lines = { body: Buffer.from(text), ends };
    for (const maxBytes of [twoOfThem.length, twoOfThem.length - 1]) {
      const limits = { maxEntries: 10, maxBytes };
      for (const submitted of [
        { jsonTexts: texts.slice(0, 2), bodyBytes: bytes(text) },
        { jsonTexts: texts.slice(0, 2), bodyBytes: bytes(text), lines },
      ]) {
        const values = encodeSubmittedChunks(submitted, HEADER, limits);
        if (maxBytes === twoOfThem.length) expect(values).toEqual([twoOfThem]);
        else expect(messagesOf(values)).toEqual([['a'], ['b']]);
      }
    }
  });

  it('copies lines as sent whose frame has no room after them for the closing', () => {
    const texts = [JSON.stringify(submittedEntry('a')), JSON.stringify(submittedEntry('b €'))];
    const text = texts.join('\n');
    const opening = submittedChunkOpening(HEADER.receivedAtMs, HEADER.tenant);
    // Room before for the opening, none after the body: `]]` does not fit where the last text ends.
    const cramped = Buffer.alloc(bytes(opening) + 1 + bytes(text));
    cramped.write(text, bytes(opening) + 1);
    const body = cramped.subarray(bytes(opening) + 1);
    const ends = [bytes(texts[0]), bytes(text)];
    const [value] = encodeSubmittedChunks(
      { jsonTexts: texts, bodyBytes: bytes(text), lines: { body, ends }, frame: new BodyFrame(cramped) },
      HEADER,
      { maxEntries: 2, maxBytes: 1024 },
    );
    expect(value).toEqual(Buffer.from(`${opening}[${texts.join(',')}]]`));
    expect(value.buffer).not.toBe(cramped.buffer);
    expect(body.toString()).toBe(text);
    expect(messagesOf([value])).toEqual([['a', 'b €']]);
  });
});

/** `chunks` written into a frame as ingest reads a body, with `expectedLength` as its first guess. */
function writtenIntoFrame(chunks: readonly Buffer[], expectedLength: number): FramedBody {
  const writer = new BodyFrameWriter(expectedLength);
  for (const chunk of chunks) writer.write(chunk);
  return writer.finish();
}

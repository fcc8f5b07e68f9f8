import { BodyFramePool, decodeStreamValue } from '@logpipe/log-schema';
import type { StreamProducer } from '@logpipe/stream-client';
import type { ConfigService } from '@nestjs/config';
import type { TenantQuota } from '../auth/tenant-quota';
import type { BacklogMonitor } from '../backpressure/backlog.monitor';
import { RequestError } from '../http/request-errors';
import type { IngestConfig } from '../ingest.config';
import { IngestOutcome } from '../metrics/ingest-outcome';
import { LogIngestService } from './log-ingest.service';

/** A stream value as the worker reads it back: ingest writes batches as Buffers, other values as text. */
const textOf = (value: string | Buffer) => (typeof value === 'string' ? value : value.toString('utf8'));

/** The messages of each chunk of one append. */
function chunkMessages(values: readonly (string | Buffer)[]): string[][] {
  return values.map((value) =>
    decodeStreamValue(textOf(value)).slots.map((slot) => (slot.ok ? slot.entry.message : 'undecodable')),
  );
}

/**
 * The service over fakes: what it appends (per call, the entries of each chunk), what it takes from the
 * quota, what it reports.
 */
function serviceWithFakes(maxBatchEntries = 100, chunkMaxEntries = 500, chunkMaxBytes = 256 * 1024) {
  const appended: string[][] = [];
  const chunked: string[][][] = [];
  const counted: number[] = [];
  const single: string[] = [];
  const taken: number[] = [];
  const framePool = new BodyFramePool(8 * 1024 * 1024);
  const producer = {
    appendChunks: jest.fn(async (values: (string | Buffer)[], entryCount: number, _memory?: unknown) => {
      chunked.push(chunkMessages(values));
      appended.push(chunked[chunked.length - 1].flat());
      counted.push(entryCount);
      return values.map(() => '1-0');
    }),
    append: jest.fn(async (value: string) => {
      single.push(value);
      return '1-0';
    }),
  } as unknown as StreamProducer;
  const backlog = {
    assertAccepting: () => undefined,
    admit: (_entries: number, write: () => Promise<unknown>) => write(),
  } as unknown as BacklogMonitor;
  const settings: Partial<Record<keyof IngestConfig, number>> = {
    MAX_BATCH_ENTRIES: maxBatchEntries,
    CHUNK_MAX_ENTRIES: chunkMaxEntries,
    CHUNK_MAX_BYTES: chunkMaxBytes,
    ENTRY_MAX_AGE: 3_600_000,
    ENTRY_MAX_FUTURE: 60_000,
  };
  const config = {
    get: (name: keyof IngestConfig) => settings[name],
  } as unknown as ConfigService<IngestConfig, true>;
  const quota = { take: (_tenant: string, entries: number) => taken.push(entries) } as unknown as TenantQuota;
  return {
    service: new LogIngestService(producer, backlog, config, quota, framePool),
    producer,
    framePool,
    appended,
    chunked,
    counted,
    single,
    taken,
  };
}

const valid = (message: string) => ({ level: 'info', service: 'api', message });

describe('LogIngestService.ingestEach: partial acceptance for OTLP and Elasticsearch', () => {
  it('queues the valid entries in one append and reports each invalid one by index', async () => {
    const { service, appended, taken } = serviceWithFakes();
    const outcome = new IngestOutcome();
    const result = await service.ingestEach(
      [valid('a'), { level: 'loud', service: 'api', message: 'b' }, valid('c'), { service: 'api' }],
      'acme',
      outcome,
    );
    expect(result.queued).toBe(2);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 3]);
    expect(result.rejected[0].errors[0].field).toBe('level');
    expect(appended).toHaveLength(1);
    expect(appended[0]).toHaveLength(2);
    expect(taken).toEqual([2]);
    expect(outcome).toMatchObject({ received: 4, queued: 2 });
  });

  it('appends nothing and takes no quota when every entry is invalid, or there are none', async () => {
    const { service, appended, taken } = serviceWithFakes();
    expect((await service.ingestEach([{ level: 'x' }], 'acme')).queued).toBe(0);
    expect((await service.ingestEach([], 'acme')).rejected).toEqual([]);
    expect(appended).toHaveLength(0);
    expect(taken).toHaveLength(0);
  });

  it('applies ENTRY_MAX_AGE and ENTRY_MAX_FUTURE per item, as /api/logs does for a batch', async () => {
    const { service, appended } = serviceWithFakes();
    const now = Date.now();
    const at = (offsetMs: number) => ({ ...valid('t'), timestamp: new Date(now + offsetMs).toISOString() });
    const result = await service.ingestEach([at(-7_200_000), at(-60_000), at(600_000)], 'acme');
    expect(result.queued).toBe(1);
    expect(result.rejected.map((r) => [r.index, r.errors[0].field])).toEqual([
      [0, 'timestamp'],
      [2, 'timestamp'],
    ]);
    expect(result.rejected[0].errors[0].message).toContain('ENTRY_MAX_AGE');
    expect(result.rejected[1].errors[0].message).toContain('ENTRY_MAX_FUTURE');
    expect(appended[0]).toHaveLength(1);
  });

  it('refuses a request over MAX_BATCH_ENTRIES with 413 before validating', async () => {
    const { service, appended } = serviceWithFakes(2);
    const error = await service.ingestEach([valid('a'), valid('b'), valid('c')], 'acme').catch((e) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).statusCode).toBe(413);
    expect(appended).toHaveLength(0);
  });
});

describe('LogIngestService.ingestMany: all or nothing', () => {
  it('queues nothing when one entry is invalid, and records what the request carried', async () => {
    const { service, appended } = serviceWithFakes();
    const outcome = new IngestOutcome();
    const error = await service.ingestMany([valid('a'), { level: 'x' }], 'acme', outcome).catch((e) => e);
    expect((error as RequestError).statusCode).toBe(400);
    expect(appended).toHaveLength(0);
    expect(outcome).toMatchObject({ received: 2, queued: 0 });
    expect(await service.ingestMany([valid('a')], 'acme', outcome)).toBe(1);
    expect(outcome).toMatchObject({ received: 1, queued: 1 });
  });

  it("gives the append memory for compressed values from the request's frames, back in the pool once it succeeded", async () => {
    const { service, producer, framePool } = serviceWithFakes();
    let compressed: Buffer | undefined;
    let pooledDuringAppend: Buffer | undefined;
    jest.mocked(producer.appendChunks).mockImplementationOnce(async (values, _count, memory) => {
      compressed = (memory as (size: number) => Buffer)(100 * 1024);
      // While the append runs, the pool has another frame to give, not this one.
      pooledDuringAppend = framePool.take(100 * 1024).bytes;
      return values.map(() => '1-0');
    });
    await service.ingestMany([valid('a'), valid('b')], 'acme');
    expect(compressed).toHaveLength(100 * 1024);
    expect(pooledDuringAppend?.buffer).not.toBe(compressed?.buffer);
    expect(framePool.take(100 * 1024).bytes.buffer).toBe(compressed?.buffer);
  });
});

describe('LogIngestService: chunks in the stream', () => {
  it('cuts a request into chunks of CHUNK_MAX_ENTRIES, all in one append that counts every entry', async () => {
    const { service, chunked, counted } = serviceWithFakes(100, 4);
    const messages = Array.from({ length: 10 }, (_, i) => `m${i}`);
    expect(await service.ingestMany(messages.map(valid), 'acme')).toBe(10);
    expect(chunked).toEqual([
      [
        ['m0', 'm1', 'm2', 'm3'],
        ['m4', 'm5', 'm6', 'm7'],
        ['m8', 'm9'],
      ],
    ]);
    expect(counted).toEqual([10]);
  });

  it('bounds a chunk by CHUNK_MAX_BYTES, an oversized entry alone, and chunks only the valid entries', async () => {
    const { service, chunked, counted } = serviceWithFakes(100, 500, 1024);
    const big = 'x'.repeat(2000);
    const result = await service.ingestEach(
      [valid('a'), { level: 'loud' }, valid(big), valid('b'), valid('c')],
      'acme',
    );
    expect(result.queued).toBe(4);
    expect(chunked).toEqual([[['a'], [big], ['b', 'c']]]);
    expect(counted).toEqual([4]);
  });

  describe('entries queued as the client sent them (version 4)', () => {
    // A minute ago (ENTRY_MAX_AGE is an hour here), with microseconds, which the stored time drops.
    const eventTime = Date.now() - 60_000;
    const entries = [
      {
        ...valid('a'),
        timestamp: new Date(eventTime).toISOString().replace('Z', '456Z'),
        trace_id: 'AB'.repeat(16),
      },
      { ...valid('b'), attributes: { 'http.status': 503, nested: { ok: false } } },
      { ...valid('c'), id: 'evt-1' },
    ];
    // Pretty-printed, as a client may send it: the value carries those bytes, whitespace and all.
    const asArray = (list: unknown[], indent?: number) => {
      const text = JSON.stringify(list, null, indent);
      return { jsonArray: Buffer.from(text), bodyBytes: Buffer.byteLength(text) };
    };
    const arrayBody = () => asArray(entries, 2);
    const lines = () => {
      const texts = entries.map((entry) => JSON.stringify(entry));
      return { jsonTexts: texts, bodyBytes: Buffer.byteLength(texts.join('\n')) };
    };
    const decoded = (value: string | Buffer) => decodeStreamValue(textOf(value));
    const rows = (values: readonly (string | Buffer)[]) =>
      values.flatMap((value) => decoded(value).slots.map((slot) => (slot.ok ? slot.entry : slot.error)));

    it('writes a JSON array body as one version 4 value that reads back as the entries encoded one by one would', async () => {
      const asSent = serviceWithFakes();
      const encoded = serviceWithFakes();
      const spyAsSent = jest.spyOn(asSent.producer, 'appendChunks');
      const spyEncoded = jest.spyOn(encoded.producer, 'appendChunks');
      await asSent.service.ingestMany(entries, 'acme', undefined, arrayBody());
      await encoded.service.ingestMany(entries, 'acme');
      const [[values]] = spyAsSent.mock.calls;
      expect(values).toHaveLength(1);
      expect(JSON.parse(textOf(values[0]))[0]).toBe(4);
      expect(values[0]).toBeInstanceOf(Buffer);
      expect(textOf(values[0])).toContain(arrayBody().jsonArray.toString('utf8'));
      expect(asSent.counted).toEqual([3]);
      // The same rows, receipt time apart (each request has its own).
      const withoutReceipt = (list: unknown[]) =>
        list.map((row) => ({ ...(row as object), receivedAt: 0, timestamp: 0 }));
      const got = rows(values);
      const expected = rows(spyEncoded.mock.calls[0][0]);
      expect(withoutReceipt(got)).toEqual(withoutReceipt(expected));
      expect(got[0]).toMatchObject({ timestamp: eventTime, traceId: 'ab'.repeat(16) });
      expect(got[1]).toMatchObject({
        timestamp: (got[1] as { receivedAt: number }).receivedAt,
        tenant: 'acme',
      });
    });

    it('cuts NDJSON lines into version 4 chunks by CHUNK_MAX_ENTRIES and CHUNK_MAX_BYTES', async () => {
      const byCount = serviceWithFakes(100, 2);
      await byCount.service.ingestMany(entries, 'acme', undefined, lines());
      expect(byCount.chunked).toEqual([[['a', 'b'], ['c']]]);
      expect(byCount.counted).toEqual([3]);
      const big = { ...valid('x'.repeat(1500)) };
      const bySize = serviceWithFakes(100, 500, 1024);
      const texts = [entries[0], big, entries[1], entries[2]].map((entry) => JSON.stringify(entry));
      await bySize.service.ingestMany([entries[0], big, entries[1], entries[2]], 'acme', undefined, {
        jsonTexts: texts,
        bodyBytes: Buffer.byteLength(texts.join('\n')),
      });
      expect(bySize.chunked).toEqual([[['a'], ['x'.repeat(1500)], ['b', 'c']]]);
      // Only the entry bigger than CHUNK_MAX_BYTES on its own makes a bigger value.
      const [values] = jest.mocked(bySize.producer.appendChunks).mock.calls[0];
      expect(values.map((value) => Buffer.byteLength(value) <= 1024)).toEqual([true, false, true]);
    });

    it('encodes a JSON array over the chunk limits entry by entry (version 3), since it is written whole or not at all', async () => {
      const { service, producer, chunked } = serviceWithFakes(100, 2);
      const spy = jest.spyOn(producer, 'appendChunks');
      await service.ingestMany(entries, 'acme', undefined, arrayBody());
      expect(chunked).toEqual([[['a', 'b'], ['c']]]);
      for (const value of spy.mock.calls[0][0]) expect(JSON.parse(textOf(value))[0]).toBe(3);
    });

    it('refuses an invalid entry with the errors of the encoded path and queues nothing', async () => {
      const bad = [...entries, { level: 'loud', service: 'api', message: 'd' }];
      const asSent = serviceWithFakes();
      const encoded = serviceWithFakes(100, 2);
      const body = asArray(bad);
      const refusedAsSent = await asSent.service.ingestMany(bad, 'acme', undefined, body).catch((e) => e);
      const refusedEncoded = await encoded.service.ingestMany(bad, 'acme', undefined, body).catch((e) => e);
      expect((refusedAsSent as RequestError).statusCode).toBe(400);
      expect((refusedAsSent as RequestError).message).toBe((refusedEncoded as RequestError).message);
      expect((refusedAsSent as RequestError).message).toContain('entry 3, level');
      expect(asSent.appended).toEqual([]);
      expect(asSent.taken).toEqual([]);
    });

    it('applies ENTRY_MAX_AGE at receipt without building the entries', async () => {
      const { service, appended } = serviceWithFakes();
      const old = [{ ...valid('old'), timestamp: new Date(Date.now() - 7_200_000).toISOString() }];
      const error = await service.ingestMany(old, 'acme', undefined, asArray(old)).catch((e) => e);
      expect((error as RequestError).message).toContain('ENTRY_MAX_AGE');
      expect(appended).toEqual([]);
    });
  });

  it('writes a lone single entry (POST /api/log) as one version 2 value, not as a chunk', async () => {
    const { service, single, chunked } = serviceWithFakes();
    expect(await service.ingestOne(valid('one'), 'acme')).toBe('1-0');
    expect(chunked).toEqual([]);
    expect(JSON.parse(single[0])[0]).toBe(2);
    expect(decodeStreamValue(single[0])).toMatchObject({ chunk: false, slots: [{ ok: true }] });
  });

  it('chunks the single entries of one turn together and answers each with its position in the chunk', async () => {
    const { service, single, chunked, counted } = serviceWithFakes();
    const ids = await Promise.all(['a', 'b', 'c'].map((m) => service.ingestOne(valid(m), 'acme')));
    expect(single).toEqual([]);
    expect(chunked).toEqual([[['a', 'b', 'c']]]);
    expect(counted).toEqual([3]);
    expect(ids).toEqual(['1-0#0', '1-0#1', '1-0#2']);
  });

  it('sends a group as soon as it fills a chunk (CHUNK_MAX_ENTRIES); the rest goes at the end of the turn', async () => {
    const { service, single, chunked, counted } = serviceWithFakes(100, 2);
    const ids = await Promise.all(['a', 'b', 'c'].map((m) => service.ingestOne(valid(m), 'acme')));
    expect(chunked).toEqual([[['a', 'b']]]);
    expect(counted).toEqual([2]);
    // 'c' was left alone in its group: a version 2 value of its own, under a plain stream id.
    expect(single).toHaveLength(1);
    expect(ids).toEqual(['1-0#0', '1-0#1', '1-0']);
  });

  it('keeps entries of different tenants apart inside a shared chunk', async () => {
    const { service, producer, chunked } = serviceWithFakes();
    const appendChunks = jest.spyOn(producer, 'appendChunks');
    await Promise.all([service.ingestOne(valid('a'), 'acme'), service.ingestOne(valid('b'), 'globex')]);
    expect(chunked).toHaveLength(1);
    const [values] = appendChunks.mock.calls[0];
    const tenants = decodeStreamValue(textOf(values[0])).slots.map((slot) =>
      slot.ok ? slot.entry.tenant : null,
    );
    expect(tenants).toEqual(['acme', 'globex']);
  });

  it('sends single entries of separate turns separately', async () => {
    const { service, single, chunked } = serviceWithFakes();
    await service.ingestOne(valid('a'), 'acme');
    await service.ingestOne(valid('b'), 'acme');
    expect(single).toHaveLength(2);
    expect(chunked).toEqual([]);
  });

  it('refuses every request of a turn when their shared append fails', async () => {
    const { service, producer } = serviceWithFakes();
    const refused = new Error('Redis away');
    jest.spyOn(producer, 'appendChunks').mockRejectedValueOnce(refused);
    const answers = await Promise.allSettled(['a', 'b'].map((m) => service.ingestOne(valid(m), 'acme')));
    expect(answers).toEqual([
      { status: 'rejected', reason: refused },
      { status: 'rejected', reason: refused },
    ]);
  });
});

import fc from 'fast-check';
import { BulkRequestError } from './bulk-errors';
import { decodeBulkRequest } from './bulk-request';

// Fuzzing the NDJSON reader: whatever the bytes, it either yields items or refuses the whole request
// with a BulkRequestError (a 400), never another exception; and a well-formed body round-trips.

const name = fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/);
const eventId = fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/);
// Plain JSON objects, keys kept away from the fields the mapping reads so that they stay attributes.
const MAPPED_KEYS = new Set([
  'message',
  'msg',
  'log',
  '_msg',
  '@timestamp',
  'timestamp',
  'time',
  'level',
  'service',
  'trace',
  'span',
  'trace_id',
  'span_id',
  '__proto__',
  'constructor',
  'log.level',
  'service.name',
  'trace.id',
  'span.id',
  '_id',
]);
const documentFields = fc
  .dictionary(
    fc.string({ maxLength: 8 }).filter((key) => !MAPPED_KEYS.has(key)),
    fc.jsonValue({ maxDepth: 3 }),
    { maxKeys: 5 },
  )
  .map((value) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>)
  // Nested values may hold such keys too: a source with one is refused per item (bulk-request.spec.ts),
  // not round-tripped (found by a CI run: {"": {"__proto__": ""}}).
  .filter((value) => !/"(__proto__|constructor)"/.test(JSON.stringify(value)));

const operation = fc.oneof(
  fc.record({
    action: fc.constantFrom('create', 'index'),
    index: name,
    id: fc.option(eventId, { nil: undefined }),
    message: fc.string({ minLength: 1, maxLength: 40 }),
    fields: documentFields,
  }),
  fc.record({ action: fc.constant('delete'), index: name, id: eventId }),
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

function encode(operations: readonly Operation[], lineEnd: string): string {
  const lines: string[] = [];
  for (const op of operations) {
    lines.push(
      JSON.stringify({ [op.action]: { _index: op.index, ...(op.id === undefined ? {} : { _id: op.id }) } }),
    );
    if ('message' in op) lines.push(JSON.stringify({ ...op.fields, message: op.message }));
  }
  return lines.join(lineEnd) + lineEnd;
}

function decodeOrRefuse(body: Buffer) {
  try {
    return decodeBulkRequest(body);
  } catch (error) {
    if (error instanceof BulkRequestError) return error;
    throw error;
  }
}

describe('decodeBulkRequest (property)', () => {
  it('round-trips well-formed bodies: one item per action, in order, each source mapped onto an entry', () => {
    fc.assert(
      fc.property(
        fc.array(operation, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n', '\n\n'),
        (operations, lineEnd) => {
          const { items, entries } = decodeBulkRequest(Buffer.from(encode(operations, lineEnd)));
          expect(items.map((item) => [item.action, item.index, item.id])).toEqual(
            operations.map((op) => [op.action, op.index, op.id]),
          );
          const stored = operations.filter(
            (op): op is Extract<Operation, { message: string }> => 'message' in op,
          );
          expect(entries).toEqual(
            stored.map((op) => ({
              ...(op.id === undefined ? {} : { id: op.id }),
              level: 'info',
              service: op.index,
              message: op.message,
              ...(Object.keys(op.fields).length === 0 ? {} : { attributes: op.fields }),
            })),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('maps every JSON object source onto an entry with a non-empty message (no document is refused for its field names)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
        (document) => {
          const source = JSON.stringify(document);
          const result = decodeOrRefuse(Buffer.from(`{"index":{"_index":"i"}}\n${source}\n`));
          if (result instanceof BulkRequestError) throw result;
          const [item] = result.items;
          if (source.includes('"__proto__"') || source.includes('"constructor"')) return; // refused per item, see below
          expect(item.error).toBeUndefined();
          expect(typeof item.entry?.message).toBe('string');
          expect(item.entry?.message.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws anything but a BulkRequestError, whatever the bytes; every item has an entry or an error', () => {
    const validBody = fc
      .array(operation, { minLength: 1, maxLength: 5 })
      .map((ops) => Buffer.from(encode(ops, '\n')));
    const mutated = fc
      .tuple(validBody, fc.nat(), fc.nat(255), fc.constantFrom('truncate', 'flip', 'drop-line'))
      .map(([body, at, byte, how]) => {
        const position = at % body.length;
        if (how === 'truncate') return body.subarray(0, position);
        if (how === 'flip') {
          const copy = Buffer.from(body);
          copy[position] = byte;
          return copy;
        }
        const lines = body.toString().split('\n');
        lines.splice(at % lines.length, 1);
        return Buffer.from(lines.join('\n'));
      });
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text)),
      fc
        .array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 6 })
        .map((values) => Buffer.from(values.map((v) => JSON.stringify(v)).join('\n'))),
      mutated,
    );
    fc.assert(
      fc.property(bodies, (body) => {
        const result = decodeOrRefuse(body);
        if (result instanceof BulkRequestError) {
          expect(result.status).toBe(400);
          expect(result.reason.length).toBeGreaterThan(0);
          return;
        }
        expect(result.items.length).toBeGreaterThan(0);
        for (const item of result.items)
          expect((item.entry === undefined) !== (item.error === undefined)).toBe(true);
        expect(result.entries).toEqual(
          result.items.flatMap((item) => (item.entry === undefined ? [] : [item.entry])),
        );
      }),
      { numRuns: 1000 },
    );
  });
});

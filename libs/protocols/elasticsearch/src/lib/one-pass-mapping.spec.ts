import fc from 'fast-check';
import {
  DEFAULT_MESSAGE_FIELDS,
  DEFAULT_MESSAGE_PATHS,
  DocumentContext,
  LEVEL_FIELDS,
  SERVICE_FIELD,
  SPAN_ID_FIELDS,
  TIMESTAMP_FIELDS,
  TRACE_ID_FIELDS,
  searchedDocumentToEntry,
} from './document-mapping';
import { mapInOnePass } from './one-pass-mapping';

// The one-pass mapping is a shortcut, not a second definition: for every document it accepts it must
// give exactly what the general search gives, attributes in the same key order included (they are
// stored as sent). The documents are built from the fields the mapping reads, each absent, dotted,
// nested or both, with values that are valid, invalid or of the wrong type, beside other keys.

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

const scalar = fc.oneof(
  fc.constantFrom('info', 'WARN', ' error ', 'warning', 'nonsense', '', '30', '5', TRACE_ID, SPAN_ID, 'svc'),
  fc.constantFrom(10, 30, 45, 60, 3, 1764151200123, 1.5),
  fc.constantFrom(null, true, false),
  fc.constantFrom('2026-11-26T10:00:00.123Z', '2026-11-26', '2026-11-26T10:00', '1764151200123'),
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('x', 'id', 'name'), scalar, { maxKeys: 2 }) },
);
/** A parent object that may hold the nested field `key`, beside other keys. */
const parent = (key: string) =>
  fc.oneof(
    fc.record(
      { [key]: value, other: scalar, more: fc.dictionary(fc.constantFrom('a', 'b'), scalar, { maxKeys: 1 }) },
      { requiredKeys: [] },
    ),
    value,
  );
const otherKeys = fc.dictionary(
  fc.constantFrom('host', 'request_id', 'user', 'http', 'event.original', 'labels', 'msg', 'log_source'),
  value,
  { maxKeys: 4 },
);

/**
 * Every field the general mapping reads, from its own lists (so a field added there is generated here,
 * and the one-pass mapping fails this test until it reads the field too): each as a top-level key, and a
 * dotted one also as its nested path under the parent key.
 */
const MAPPED_FIELDS = [
  ...TIMESTAMP_FIELDS,
  ...LEVEL_FIELDS,
  SERVICE_FIELD,
  ...TRACE_ID_FIELDS,
  ...SPAN_ID_FIELDS,
  ...DEFAULT_MESSAGE_FIELDS.filter((name) => name !== 'message'),
];
const mappedKeyValues: Record<string, fc.Arbitrary<unknown>> = {};
for (const name of MAPPED_FIELDS) mappedKeyValues[name] = value;
for (const name of MAPPED_FIELDS) {
  const dot = name.indexOf('.');
  if (dot > 0) mappedKeyValues[name.slice(0, dot)] = parent(name.slice(dot + 1));
}
const mappedKeys = fc.record(mappedKeyValues, { requiredKeys: [] });

/** A document with a non-empty string message, its keys in a random order (key order is kept). */
const document = fc
  .tuple(mappedKeys, otherKeys, fc.string({ minLength: 1, maxLength: 20 }), fc.nat())
  .map(([mapped, others, message, seed]) => {
    const entries = Object.entries({ ...others, ...mapped, message });
    // A deterministic shuffle from the seed, so a failure shrinks and replays.
    for (let i = entries.length - 1; i > 0; i--) {
      const j = (seed + i * 7919) % (i + 1);
      [entries[i], entries[j]] = [entries[j], entries[i]];
    }
    // Through JSON, as the bulk reader hands documents over (JSON.parse of the source line).
    return JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, unknown>;
  });

const context = fc.record({
  index: fc.constantFrom('app-logs', 'bench'),
  eventId: fc.option(fc.constantFrom('evt-1', 'sha256:ab'), { nil: undefined }),
  originalId: fc.option(fc.constant('id with spaces'), { nil: undefined }),
});

function contextOf(fields: { index: string; eventId?: string; originalId?: string }): DocumentContext {
  return { ...fields, messageFields: DEFAULT_MESSAGE_PATHS, sourceText: '{"source":"line"}' };
}

describe('mapInOnePass', () => {
  it('maps every document with a string message exactly as the general search does', () => {
    fc.assert(
      fc.property(document, context, (doc, fields) => {
        const expected = searchedDocumentToEntry(structuredClone(doc), contextOf(fields));
        const actual = mapInOnePass(structuredClone(doc), contextOf(fields));
        expect(actual).toStrictEqual(expected);
        // Same key order in the attributes, as they are encoded into the stream and stored.
        expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves every other document to the general search', () => {
    const ctx = contextOf({ index: 'app-logs' });
    for (const message of [undefined, '', 42, null, { text: 'hi' }, ['a']]) {
      expect(mapInOnePass({ msg: 'from msg', message }, ctx)).toBeUndefined();
    }
    expect(mapInOnePass({ log: 'a Fluent Bit line' }, ctx)).toBeUndefined();
  });

  it('reads the nested field when the dotted key is absent, and the dotted key alone when present', () => {
    const ctx = contextOf({ index: 'app-logs' });
    expect(mapInOnePass({ message: 'm', log: { level: 'warn', logger: 'db' } }, ctx)).toMatchObject({
      level: 'warn',
      attributes: { log: { logger: 'db' } },
    });
    // The dotted key wins even when its value names no level: the nested one is then not read either,
    // and both stay in the attributes; `level` is the next field tried.
    expect(
      mapInOnePass({ message: 'm', 'log.level': 'loud', log: { level: 'warn' }, level: 'error' }, ctx),
    ).toMatchObject({ level: 'error', attributes: { 'log.level': 'loud', log: { level: 'warn' } } });
  });
});

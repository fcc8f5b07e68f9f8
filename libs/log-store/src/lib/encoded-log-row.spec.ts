import {
  decodeLogRow,
  ENCODED_ROW_COLUMNS,
  encodedRowField,
  encodedRowFields,
  encodedRowHasEventId,
  encodedRowLeadingFields,
  encodedRowStreamId,
  encodeLogRow,
} from './encoded-log-row';
import type { StoredLogEntry } from './stored-log-entry';

const entry: StoredLogEntry = {
  timestamp: Date.parse('2026-12-04T15:00:00.123Z'),
  receivedAt: Date.parse('2026-12-04T15:00:01.000Z'),
  level: 'warn',
  service: 'svc\tname',
  message: 'line one\nline two\r\n\ttab, back\\slash, \\N, ünïcödé 🐢',
  attributes: { path: 'C:\\tmp\\x', nested: { list: [1, 'two\n', null] }, tab: '\t' },
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  eventId: 'evt-1:a.b',
  tenant: 'acme',
  streamId: '1733324400000-7#12',
};

const encode = (e: StoredLogEntry) => encodeLogRow(e, e.streamId);

describe('encoded log rows (the COPY text the worker keeps per row)', () => {
  it('holds one field per column, tab-separated, with no raw newline, tab or carriage return inside a field', () => {
    const row = encode(entry);
    expect(row).not.toMatch(/[\n\r]/);
    expect(row.split('\t')).toHaveLength(ENCODED_ROW_COLUMNS.length);
  });

  it('gives back the entry it was encoded from, whatever its text holds', () => {
    expect(decodeLogRow(encode(entry))).toEqual(entry);
    const bare = { ...entry, attributes: null, traceId: null, spanId: null, eventId: null };
    expect(decodeLogRow(encode(bare))).toEqual(bare);
    // The writer's callers are not all validated input: text of any alphabet in any field comes back.
    const odd = {
      ...entry,
      eventId: '\\N',
      tenant: 't\tx',
      level: 'x\ny',
      streamId: '1-0\\#2',
    } as unknown as StoredLogEntry;
    expect(decodeLogRow(encode(odd))).toEqual(odd);
    expect(encodedRowHasEventId(encode(odd))).toBe(true);
    expect(encodedRowStreamId(encode(odd))).toBe('1-0\\#2');
  });

  it('writes the fields as PostgreSQL reads them: timestamps in ISO form, NULL as \\N', () => {
    const fields = encode({ ...entry, eventId: null, attributes: null }).split('\t');
    const at = (column: (typeof ENCODED_ROW_COLUMNS)[number]) => fields[ENCODED_ROW_COLUMNS.indexOf(column)];
    expect(at('ts')).toBe('2026-12-04T15:00:00.123Z');
    expect(at('received_at')).toBe('2026-12-04T15:00:01.000Z');
    expect(at('event_id')).toBe('\\N');
    expect(at('attributes')).toBe('\\N');
    expect(at('service')).toBe('svc\\tname');
  });

  it('reads the fields back as text for the unnest INSERT, NULL as null', () => {
    const fields = encodedRowFields(encode({ ...entry, traceId: null }));
    expect(fields[ENCODED_ROW_COLUMNS.indexOf('message')]).toBe(entry.message);
    expect(fields[ENCODED_ROW_COLUMNS.indexOf('trace_id')]).toBeNull();
    expect(JSON.parse(fields[ENCODED_ROW_COLUMNS.indexOf('attributes')] as string)).toEqual(entry.attributes);
  });

  it('tells a row with an event id and its stream position without decoding it', () => {
    expect(encodedRowHasEventId(encode(entry))).toBe(true);
    expect(encodedRowHasEventId(encode({ ...entry, eventId: null }))).toBe(false);
    expect(encodedRowStreamId(encode(entry))).toBe('1733324400000-7#12');
    expect(encodedRowStreamId(encode({ ...entry, eventId: null }))).toBe('1733324400000-7#12');
  });

  it('reads the leading fields alone, as a claim of event ids does', () => {
    const row = encode({ ...entry, eventId: 'a\\b' });
    expect(encodedRowLeadingFields(row, 4)).toEqual(encodedRowFields(row).slice(0, 4));
    expect(encodedRowLeadingFields(row, 4)).toEqual([
      'a\\b',
      entry.streamId,
      'acme',
      '2026-12-04T15:00:00.123Z',
    ]);
    expect(encodedRowLeadingFields(row, 99)).toEqual(encodedRowFields(row));
    expect(encodedRowField(row, 'ts')).toBe('2026-12-04T15:00:00.123Z');
    expect(encodedRowField(row, 'span_id')).toBe(entry.spanId);
    expect(encodedRowField(encode({ ...entry, spanId: null }), 'span_id')).toBeNull();
  });
});

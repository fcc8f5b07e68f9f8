import { DEFAULT_MESSAGE_PATHS, DocumentContext, documentToEntry } from './document-mapping';
import { levelFromValue } from './level-mapping';
import { timestampForEntry } from './timestamp-mapping';

function map(document: Record<string, unknown>, context: Partial<DocumentContext> = {}) {
  return documentToEntry(structuredClone(document), {
    index: 'app-logs',
    messageFields: DEFAULT_MESSAGE_PATHS,
    sourceText: JSON.stringify(document),
    ...context,
  });
}

describe('documentToEntry', () => {
  it('maps a Filebeat/ECS document: nested log.level, service.name, @timestamp, trace and span ids', () => {
    expect(
      map({
        '@timestamp': '2026-11-26T10:00:00.123Z',
        log: { level: 'ERROR', logger: 'payments' },
        service: { name: 'checkout' },
        message: 'payment declined',
        trace: { id: '4bf92f3577b34da6a3ce929d0e0e4736' },
        span: { id: '00f067aa0ba902b7' },
        host: { name: 'web-1' },
      }),
    ).toEqual({
      timestamp: '2026-11-26T10:00:00.123Z',
      level: 'error',
      service: 'checkout',
      message: 'payment declined',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      attributes: { log: { logger: 'payments' }, host: { name: 'web-1' } },
    });
  });

  it('maps the same fields written as dotted keys (Fluent Bit, Vector), keeping other dotted keys as sent', () => {
    expect(
      map({
        '@timestamp': 1764151200123,
        'log.level': 'warning',
        'service.name': 'api',
        msg: 'slow',
        'http.status': 503,
      }),
    ).toEqual({
      timestamp: 1764151200123,
      level: 'warn',
      service: 'api',
      message: 'slow',
      attributes: { 'http.status': 503 },
    });
  });

  it('maps a pino document as pino-elasticsearch sends it: numeric level, msg, time', () => {
    expect(
      map(
        { level: 50, time: '2026-11-26T10:00:00.007Z', pid: 1, hostname: 'h', msg: 'boom' },
        { index: 'pino' },
      ),
    ).toEqual({
      timestamp: '2026-11-26T10:00:00.007Z',
      level: 'error',
      service: 'pino',
      message: 'boom',
      attributes: { pid: 1, hostname: 'h' },
    });
  });

  it('takes the service from the index when service.name is absent or not a non-empty string', () => {
    expect(map({ message: 'x' }).service).toBe('app-logs');
    expect(map({ message: 'x', service: { name: '' } })).toMatchObject({
      service: 'app-logs',
      attributes: { service: { name: '' } },
    });
  });

  it('takes the first timestamp field present: @timestamp, then timestamp, then time; the others stay attributes', () => {
    expect(map({ timestamp: '2026-01-01T00:00:00Z', time: 5, message: 'x' })).toMatchObject({
      timestamp: '2026-01-01T00:00:00Z',
      attributes: { time: 5 },
    });
    expect(map({ message: 'x' }).timestamp).toBeUndefined();
  });

  it('hands an unreadable timestamp to the entry rules (which refuse it naming the field) rather than dropping it', () => {
    expect(map({ '@timestamp': 'yesterday', message: 'x' }).timestamp).toBe('yesterday');
  });

  it('reads message, msg, log, _msg in that order, skipping empty ones', () => {
    expect(map({ msg: 'b', log: 'c', _msg: 'd', message: 'a' }).message).toBe('a');
    expect(map({ message: '', log: 'c', _msg: 'd' })).toEqual({
      level: 'info',
      service: 'app-logs',
      message: 'c',
      attributes: { message: '', _msg: 'd' },
    });
    expect(map({ _msg: 'd' }).message).toBe('d');
  });

  it('keeps a non-string message as JSON text', () => {
    expect(map({ message: { code: 7 } }).message).toBe('{"code":7}');
    expect(map({ message: 42 }).message).toBe('42');
  });

  it('keeps a document without a message field whole: the source line as the message, the fields as attributes', () => {
    const source = '{"event":"login","user":{"id":7}}';
    expect(map({ event: 'login', user: { id: 7 } }, { sourceText: source })).toEqual({
      level: 'info',
      service: 'app-logs',
      message: source,
      attributes: { event: 'login', user: { id: 7 } },
    });
  });

  it('leaves an unrecognised level in attributes and uses info', () => {
    expect(map({ level: 'loud', message: 'x' })).toMatchObject({
      level: 'info',
      attributes: { level: 'loud' },
    });
  });

  it('prefers log.level over level', () => {
    expect(map({ 'log.level': 'debug', level: 'error', message: 'x' })).toMatchObject({
      level: 'debug',
      attributes: { level: 'error' },
    });
  });

  it('leaves a trace id that is not 32 hex characters in attributes', () => {
    expect(map({ trace: { id: 'abc' }, message: 'x' })).toMatchObject({
      attributes: { trace: { id: 'abc' } },
    });
  });

  it('sets the event id and the original _id attribute from the context', () => {
    expect(map({ message: 'x' }, { eventId: 'sha256:ab', originalId: 'a b' })).toMatchObject({
      id: 'sha256:ab',
      attributes: { _id: 'a b' },
    });
  });
});

describe('levelFromValue', () => {
  it.each([
    ['trace', 'trace'],
    ['DEBUG', 'debug'],
    ['Info', 'info'],
    ['informational', 'info'],
    ['notice', 'info'],
    ['warn', 'warn'],
    ['warning', 'warn'],
    ['err', 'error'],
    ['error', 'error'],
    ['critical', 'fatal'],
    ['crit', 'fatal'],
    ['emerg', 'fatal'],
    ['alert', 'fatal'],
    ['fatal', 'fatal'],
    [10, 'trace'],
    [20, 'debug'],
    [30, 'info'],
    [35, 'info'],
    [40, 'warn'],
    [50, 'error'],
    [60, 'fatal'],
    [100, 'fatal'],
    ['30', 'info'],
  ])('%p -> %p', (value, level) => {
    expect(levelFromValue(value)).toBe(level);
  });

  it.each([[3], [0], [-10], [30.5], ['loud'], [''], [null], [true], [{}]])('%p is not a level', (value) => {
    expect(levelFromValue(value)).toBeUndefined();
  });
});

describe('timestampForEntry', () => {
  it.each([
    ['2026-11-26T10:00:00.123Z', '2026-11-26T10:00:00.123Z'],
    ['2026-11-26T10:00:00.123+01:00', '2026-11-26T10:00:00.123+01:00'],
    // strict_date_optional_time reads a date-time without a zone, and a bare date, as UTC.
    ['2026-11-26T10:00:00.123', '2026-11-26T10:00:00.123Z'],
    ['2026-11-26T10:00', '2026-11-26T10:00:00Z'],
    ['2026-11-26', '2026-11-26T00:00:00Z'],
    // epoch_millis, as a number or a string, a fraction truncated
    ['1764151200123', 1764151200123],
    [1764151200123.9, 1764151200123],
    ['not a date', 'not a date'],
    [true, true],
  ])('%p -> %p', (value, expected) => {
    expect(timestampForEntry(value)).toEqual(expected);
  });
});

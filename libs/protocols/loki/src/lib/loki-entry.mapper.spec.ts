import { LogLevel, validateLogEntry } from '@logpipe/log-schema';
import { LabelPair } from './label-string';
import {
  DEFAULT_LEVEL,
  DEFAULT_SERVICE,
  describeEntryProblems,
  levelFromText,
  mapLokiPush,
  serviceOf,
} from './loki-entry.mapper';
import { LokiPushEntry, LokiPushRequest } from './push-request';

function stream(labels: LabelPair[], entries: LokiPushEntry[]) {
  return { labels, name: `{${labels.map(([n, v]) => `${n}="${v}"`).join(', ')}}`, entries };
}

function entry(line: string, metadata?: LabelPair[], epochMs = 1_700_000_000_123): LokiPushEntry {
  return { epochMs, line, metadata };
}

describe('mapLokiPush', () => {
  it('maps an entry onto the log entry of POST /api/logs, which then validates', () => {
    const request: LokiPushRequest = {
      streams: [
        stream(
          [
            ['job', 'api'],
            ['level', 'warning'],
            ['env', 'prod'],
          ],
          [entry('disk almost full')],
        ),
      ],
    };
    const [mapped] = mapLokiPush(request).entries;
    expect(mapped).toEqual({
      timestamp: 1_700_000_000_123,
      level: 'warn',
      service: 'api',
      message: 'disk almost full',
      attributes: { labels: { job: 'api', level: 'warning', env: 'prod' } },
    });
    expect(validateLogEntry(mapped, { receivedAtMs: 0, tenant: 'default' })).toMatchObject({
      ok: true,
    });
  });

  it('puts structured metadata beside the labels, and reads trace and span ids from it', () => {
    const request: LokiPushRequest = {
      streams: [
        stream(
          [['service_name', 'checkout']],
          [
            entry('paid', [
              ['trace_id', '4bf92f3577b34da6a3ce929d0e0e4736'],
              ['span_id', '00f067aa0ba902b7'],
              ['user', 'u1'],
            ]),
            entry('not hex', [['trace_id', 'xyz']]),
          ],
        ),
      ],
    };
    const [first, second] = mapLokiPush(request).entries;
    expect(first).toMatchObject({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      attributes: {
        labels: { service_name: 'checkout' },
        structured_metadata: {
          trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
          span_id: '00f067aa0ba902b7',
          user: 'u1',
        },
      },
    });
    expect(second.trace_id).toBeUndefined();
    expect(second.attributes).toEqual({
      labels: { service_name: 'checkout' },
      structured_metadata: { trace_id: 'xyz' },
    });
  });

  it.each<[string, LabelPair[], string]>([
    [
      'service_name first',
      [
        ['job', 'j'],
        ['app', 'a'],
        ['service_name', 's'],
      ],
      's',
    ],
    [
      'then service',
      [
        ['job', 'j'],
        ['service', 'svc'],
        ['app', 'a'],
      ],
      'svc',
    ],
    [
      'then app',
      [
        ['job', 'j'],
        ['container', 'c'],
        ['app', 'a'],
      ],
      'a',
    ],
    [
      'then application',
      [
        ['name', 'n'],
        ['application', 'ap'],
      ],
      'ap',
    ],
    [
      'then name',
      [
        ['app_kubernetes_io_name', 'k'],
        ['name', 'n'],
      ],
      'n',
    ],
    [
      'then app_kubernetes_io_name',
      [
        ['container', 'c'],
        ['app_kubernetes_io_name', 'k'],
      ],
      'k',
    ],
    [
      'then container',
      [
        ['container_name', 'cn'],
        ['container', 'c'],
      ],
      'c',
    ],
    [
      'then container_name',
      [
        ['k8s_container_name', 'k'],
        ['container_name', 'cn'],
      ],
      'cn',
    ],
    [
      'then k8s_container_name',
      [
        ['component', 'co'],
        ['k8s_container_name', 'k'],
      ],
      'k',
    ],
    [
      'then component',
      [
        ['workload', 'w'],
        ['component', 'co'],
      ],
      'co',
    ],
    [
      'then workload',
      [
        ['job', 'j'],
        ['workload', 'w'],
      ],
      'w',
    ],
    [
      'then job',
      [
        ['k8s_job_name', 'kj'],
        ['job', 'j'],
      ],
      'j',
    ],
    [
      'then k8s_job_name',
      [
        ['host', 'h'],
        ['k8s_job_name', 'kj'],
      ],
      'kj',
    ],
    ['else the default', [['host', 'h']], DEFAULT_SERVICE],
  ])('detects the service as Loki does: %s', (_case, labels, service) => {
    expect(serviceOf(labels)).toBe(service);
  });

  it.each<[string, LogLevel]>([
    ['trace', 'trace'],
    ['TRC', 'trace'],
    ['silly', 'trace'],
    ['debug', 'debug'],
    ['dbg', 'debug'],
    ['verbose', 'debug'],
    ['info', 'info'],
    ['INFO', 'info'],
    ['inf', 'info'],
    ['information', 'info'],
    ['notice', 'info'],
    ['http', 'info'],
    ['warn', 'warn'],
    ['Warning', 'warn'],
    ['wrn', 'warn'],
    ['error', 'error'],
    ['err', 'error'],
    ['ERROR', 'error'],
    ['fatal', 'fatal'],
    ['critical', 'fatal'],
    ['crit', 'fatal'],
    ['emerg', 'fatal'],
    ['alert', 'fatal'],
    ['panic', 'fatal'],
    [' error ', 'error'],
  ])('maps the level spelling %j to %s', (text, level) => {
    expect(levelFromText(text)).toBe(level);
  });

  it('reads the level from labels first, then metadata, by key order, else the default', () => {
    const levelOf = (labels: LabelPair[], metadata?: LabelPair[]) =>
      mapLokiPush({ streams: [stream([['job', 'x'], ...labels], [entry('m', metadata)])] }).entries[0].level;
    expect(
      levelOf([
        ['severity', 'error'],
        ['level', 'debug'],
      ]),
    ).toBe('debug');
    expect(levelOf([['LEVEL', 'err']])).toBe('error');
    expect(
      levelOf([
        ['detected_level', 'warn'],
        ['lvl', 'debug'],
      ]),
    ).toBe('warn');
    expect(levelOf([['loglevel', 'crit']])).toBe('fatal');
    expect(levelOf([['level', 'error']], [['level', 'debug']])).toBe('error');
    expect(levelOf([], [['severity', 'warning']])).toBe('warn');
    expect(levelOf([])).toBe(DEFAULT_LEVEL);
    expect(levelOf([['level', 'unknown']])).toBe(DEFAULT_LEVEL);
  });

  it('keeps a label named __proto__ as an own key, so entry validation refuses it by name', () => {
    const [mapped] = mapLokiPush({ streams: [stream([['__proto__', 'x']], [entry('m')])] }).entries;
    expect(Object.keys(mapped.attributes['labels'] as object)).toEqual(['__proto__']);
    const result = validateLogEntry(mapped, { receivedAtMs: 0, tenant: 'default' });
    expect(result.ok).toBe(false);
  });

  it('names the stream of any entry, in order', () => {
    const mapped = mapLokiPush({
      streams: [
        stream([['s', '1']], [entry('a'), entry('b')]),
        stream([['s', '2']], []),
        stream([['s', '3']], [entry('c')]),
      ],
    });
    expect(mapped.entries.map((e) => e.message)).toEqual(['a', 'b', 'c']);
    expect([0, 1, 2].map((i) => mapped.locate(i))).toEqual([
      { stream: '{s="1"}', entry: 0 },
      { stream: '{s="1"}', entry: 1 },
      { stream: '{s="3"}', entry: 0 },
    ]);
    expect(
      describeEntryProblems(mapped, [
        { index: 1, message: 'message must not be empty' },
        { index: 2, message: 'service must be at most 128 characters long (got 200)' },
      ]),
    ).toBe(
      `stream '{s="1"}': entry 1: message must not be empty\nstream '{s="3"}': entry 0: service must be at most 128 characters long (got 200)`,
    );
  });
});

// The whole view lives in the URL's query string: copy the URL, reload, and the same view comes back.
// The API key never does (it lives in sessionStorage only).

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

export const PRESETS = {
  '15m': 15 * 60000,
  '1h': 3600000,
  '24h': 24 * 3600000,
  '7d': 7 * 24 * 3600000,
} as const;
export type Preset = keyof typeof PRESETS;

/** Relative ("the last hour", resolved at each search) or absolute (fixed instants, epoch ms). */
export type TimeRange = { preset: Preset } | { fromMs: number; toMs: number };

export interface ViewState {
  range: TimeRange;
  services: string[];
  level: Level | '';
  q: string;
  /** `attr.<key>=<value>` filters, in the order given. */
  attributes: [string, string][];
  traceId: string;
  /** Live tail on. */
  tail: boolean;
  /** Times shown in UTC instead of the browser's zone. */
  utc: boolean;
  /** The trace open in the trace view, or ''. */
  trace: string;
}

export const DEFAULT_VIEW: ViewState = {
  range: { preset: '1h' },
  services: [],
  level: '',
  q: '',
  attributes: [],
  traceId: '',
  tail: false,
  utc: false,
  trace: '',
};

const TRACE = /^[0-9a-f]{32}$/i;

function instant(value: string | null): number | null {
  if (value === null || value === '') return null;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** The view a query string describes; anything unreadable falls back to the default for that part. */
export function decodeView(search: string): ViewState {
  const params = new URLSearchParams(search);
  const view: ViewState = { ...DEFAULT_VIEW, services: [], attributes: [] };
  const from = instant(params.get('from'));
  const to = instant(params.get('to'));
  const preset = params.get('range');
  if (from !== null && to !== null && from < to) view.range = { fromMs: from, toMs: to };
  else if (preset !== null && preset in PRESETS) view.range = { preset: preset as Preset };
  view.services = params
    .getAll('service')
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const level = params.get('level') ?? '';
  if ((LEVELS as readonly string[]).includes(level)) view.level = level as Level;
  view.q = params.get('q') ?? '';
  for (const [key, value] of params) {
    if (key.startsWith('attr.') && key.length > 5) view.attributes.push([key.slice(5), value]);
  }
  const traceId = params.get('trace_id') ?? '';
  if (TRACE.test(traceId)) view.traceId = traceId.toLowerCase();
  view.tail = params.get('tail') === '1';
  view.utc = params.get('utc') === '1';
  const trace = params.get('trace') ?? '';
  if (TRACE.test(trace)) view.trace = trace.toLowerCase();
  return view;
}

/** The query string for a view (without '?'); defaults are left out so URLs stay short. */
export function encodeView(view: ViewState): string {
  const params = new URLSearchParams();
  if ('preset' in view.range) {
    params.set('range', view.range.preset);
  } else {
    params.set('from', new Date(view.range.fromMs).toISOString());
    params.set('to', new Date(view.range.toMs).toISOString());
  }
  for (const service of view.services) params.append('service', service);
  if (view.level) params.set('level', view.level);
  if (view.q.trim()) params.set('q', view.q.trim());
  for (const [key, value] of view.attributes) params.append(`attr.${key}`, value);
  if (view.traceId) params.set('trace_id', view.traceId);
  if (view.tail) params.set('tail', '1');
  if (view.utc) params.set('utc', '1');
  if (view.trace) params.set('trace', view.trace);
  return params.toString();
}

/** The instants a range covers now. */
export function resolveRange(range: TimeRange, nowMs: number): { fromMs: number; toMs: number } {
  return 'preset' in range ? { fromMs: nowMs - PRESETS[range.preset], toMs: nowMs } : range;
}

/**
 * The read API's parameters for a view: the filters of GET /api/logs. `withRange: false` leaves the
 * time range out (the live tail follows new entries, whatever their range).
 */
export function apiFilters(view: ViewState, nowMs: number, withRange = true): URLSearchParams {
  const params = new URLSearchParams();
  if (withRange) {
    const { fromMs, toMs } = resolveRange(view.range, nowMs);
    params.set('from', new Date(fromMs).toISOString());
    params.set('to', new Date(toMs).toISOString());
  }
  for (const service of view.services) params.append('service', service);
  if (view.level && view.level !== 'trace') params.set('level', view.level);
  if (view.q.trim()) params.set('q', view.q.trim());
  for (const [key, value] of view.attributes) params.set(`attr.${key}`, value);
  if (view.traceId) params.set('trace_id', view.traceId);
  return params;
}

/** `region=eu order.id=42` -> [['region','eu'],['order.id','42']]; a word without '=' is a problem. */
export function parseAttributeText(text: string): { attributes: [string, string][]; problem: string | null } {
  const attributes: [string, string][] = [];
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const at = word.indexOf('=');
    if (at <= 0) return { attributes, problem: `"${word}" is not key=value (for example region=eu)` };
    attributes.push([word.slice(0, at), word.slice(at + 1)]);
  }
  return { attributes, problem: null };
}

export function attributeText(attributes: readonly [string, string][]): string {
  return attributes.map(([key, value]) => `${key}=${value}`).join(' ');
}

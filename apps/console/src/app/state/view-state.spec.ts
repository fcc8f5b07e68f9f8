import {
  apiFilters,
  decodeView,
  DEFAULT_VIEW,
  encodeView,
  parseAttributeText,
  type ViewState,
} from './view-state';

describe('view state in the URL', () => {
  const full: ViewState = {
    range: { fromMs: Date.UTC(2026, 10, 26, 9), toMs: Date.UTC(2026, 10, 26, 10) },
    services: ['checkout', 'payments'],
    level: 'warn',
    q: 'payment declined',
    attributes: [
      ['region', 'eu'],
      ['order.id', '42'],
    ],
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    tail: true,
    utc: true,
    trace: '00000000000000000000000000000001',
  };

  it('round-trips every part of a view', () => {
    expect(decodeView(`?${encodeView(full)}`)).toEqual(full);
    expect(decodeView(encodeView(DEFAULT_VIEW))).toEqual(DEFAULT_VIEW);
    expect(decodeView(encodeView({ ...DEFAULT_VIEW, range: { preset: '7d' } })).range).toEqual({
      preset: '7d',
    });
  });

  it('writes a readable query string', () => {
    expect(encodeView(full)).toBe(
      'from=2026-11-26T09%3A00%3A00.000Z&to=2026-11-26T10%3A00%3A00.000Z&service=checkout&service=payments&level=warn' +
        '&q=payment+declined&attr.region=eu&attr.order.id=42&trace_id=4bf92f3577b34da6a3ce929d0e0e4736&tail=1&utc=1' +
        '&trace=00000000000000000000000000000001',
    );
  });

  it('falls back to the default for parts it cannot read', () => {
    const view = decodeView(
      '?range=3w&level=loud&trace_id=xyz&from=2026-11-26T10:00:00Z&to=2026-11-26T09:00:00Z',
    );
    expect(view).toEqual(DEFAULT_VIEW);
  });

  it('accepts comma-separated services and epoch-millisecond bounds', () => {
    const view = decodeView('?service=a,b&service=c&from=1000&to=2000');
    expect(view.services).toEqual(['a', 'b', 'c']);
    expect(view.range).toEqual({ fromMs: 1000, toMs: 2000 });
  });
});

describe('API filters', () => {
  it('resolves a preset against now and leaves the range out for the tail', () => {
    const now = Date.UTC(2026, 10, 26, 10);
    const view: ViewState = { ...DEFAULT_VIEW, range: { preset: '15m' }, services: ['api'], level: 'error' };
    expect(apiFilters(view, now).toString()).toBe(
      'from=2026-11-26T09%3A45%3A00.000Z&to=2026-11-26T10%3A00%3A00.000Z&service=api&level=error',
    );
    expect(apiFilters(view, now, false).toString()).toBe('service=api&level=error');
  });

  it('sends no level for "trace", the lowest', () => {
    expect(apiFilters({ ...DEFAULT_VIEW, level: 'trace' }, 0, false).toString()).toBe('');
  });
});

describe('attribute text', () => {
  it('reads key=value words and names the first that is not one', () => {
    expect(parseAttributeText(' region=eu  order.id=42 ')).toEqual({
      attributes: [
        ['region', 'eu'],
        ['order.id', '42'],
      ],
      problem: null,
    });
    expect(parseAttributeText('region').problem).toContain('"region"');
    expect(parseAttributeText('=x').problem).not.toBeNull();
  });
});

// The run's chart as a self-contained SVG (no dependencies): scenario 4's second-by-second throughput
// (offered, answered 202, stored), freshness p50/p99 and backlog, one panel each over a shared time axis.
const WIDTH = 960;
const PANEL_HEIGHT = 190;
const MARGIN = { left: 78, right: 170, top: 46, gap: 34, bottom: 44 };
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];

function escapeXml(text) {
  return String(text).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A "nice" step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
export function niceStep(max, count = 4) {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function formatTick(value) {
  if (value >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return String(+value.toFixed(1));
}

function panel({ top, title, unit, series, xMax }) {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const values = series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
  const step = niceStep(Math.max(1, ...values));
  const yMax = step * Math.ceil(Math.max(1, ...values) / step);
  const x = (t) => MARGIN.left + (t / xMax) * plotWidth;
  const y = (v) => top + PANEL_HEIGHT - (v / yMax) * PANEL_HEIGHT;
  const parts = [
    `<text x="${MARGIN.left}" y="${top - 10}" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${MARGIN.left}" y="${top}" width="${plotWidth}" height="${PANEL_HEIGHT}" fill="none" stroke="#999"/>`,
  ];
  for (let v = 0; v <= yMax + step / 2; v += step) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${formatTick(v)}</text>`,
    );
  }
  parts.push(
    `<text x="16" y="${top + PANEL_HEIGHT / 2}" font-size="11" transform="rotate(-90 16 ${top + PANEL_HEIGHT / 2})" text-anchor="middle">${escapeXml(unit)}</text>`,
  );
  series.forEach((s, index) => {
    const color = s.color ?? COLORS[index % COLORS.length];
    const segments = [];
    let current = [];
    for (const [t, v] of s.points) {
      if (Number.isFinite(v)) current.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      else if (current.length > 0) (segments.push(current), (current = []));
    }
    if (current.length > 0) segments.push(current);
    for (const segment of segments) {
      parts.push(
        `<polyline points="${segment.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    const legendY = top + 16 + index * 18;
    const legendX = MARGIN.left + plotWidth + 14;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 22}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${legendX + 28}" y="${legendY}" font-size="12">${escapeXml(s.label)}</text>`,
    );
  });
  return parts.join('\n');
}

/** SVG text for the sustained scenario's per-second series (see scenarios/sustained.mjs). */
export function sustainedChartSvg({ title, subtitle, series }) {
  const xMax = Math.max(1, series.length);
  const at = (key) => series.map((row) => [row.second + 1, row[key]]);
  const panels = [
    {
      title: 'Throughput',
      unit: 'entries/s',
      series: [
        { label: 'offered', points: at('offered'), dashed: true },
        { label: 'answered 202', points: at('accepted') },
        { label: 'stored (rows/s)', points: at('stored') },
      ],
    },
    {
      title: 'Freshness: 202 → row visible',
      unit: 'ms',
      series: [
        { label: 'p50', points: at('freshnessP50') },
        { label: 'p99', points: at('freshnessP99'), color: COLORS[3] },
      ],
    },
    {
      title: 'Backlog (not yet stored)',
      unit: 'entries',
      series: [{ label: 'backlog', points: at('backlog'), color: COLORS[4] }],
    },
  ];
  const height = MARGIN.top + panels.length * (PANEL_HEIGHT + MARGIN.gap + 20) + MARGIN.bottom;
  const body = panels.map((p, i) =>
    panel({ ...p, top: MARGIN.top + 30 + i * (PANEL_HEIGHT + MARGIN.gap + 20), xMax }),
  );
  const axisTop = MARGIN.top + 30 + (panels.length - 1) * (PANEL_HEIGHT + MARGIN.gap + 20) + PANEL_HEIGHT;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const xStep = niceStep(xMax, 6);
  const ticks = [];
  for (let t = 0; t <= xMax; t += xStep) {
    const px = MARGIN.left + (t / xMax) * plotWidth;
    ticks.push(`<text x="${px}" y="${axisTop + 16}" font-size="11" text-anchor="middle">${t}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="17" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${MARGIN.left}" y="44" font-size="12" fill="#444">${escapeXml(subtitle)}</text>`,
    ...body,
    ...ticks,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${axisTop + 34}" font-size="12" text-anchor="middle">seconds since the start of the sustained run</text>`,
    '</svg>',
    '',
  ].join('\n');
}

import { useEffect, useRef, useState } from 'preact/hooks';
import { formatCount, formatTime } from '../ui/format';
import { chartSpan, layoutBars, rangeForDrag, STACK_ORDER, type Histogram } from './histogram-geometry';

const HEIGHT = 96;

/** Matching entries over time, stacked by level. Drag across it to zoom into that range. */
export function HistogramChart(props: {
  histogram: Histogram;
  utc: boolean;
  onZoom: (range: { fromMs: number; toMs: number }) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [drag, setDrag] = useState<{ x1: number; x2: number } | null>(null);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(100, element.clientWidth)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const { bars, max } = layoutBars(props.histogram, width, HEIGHT);
  const total = bars.reduce((sum, bar) => sum + bar.total, 0);
  const { startMs, endMs } = chartSpan(props.histogram);
  const x = (event: PointerEvent) => event.clientX - (box.current?.getBoundingClientRect().left ?? 0);

  return (
    <section class="histogram" aria-label="Histogram">
      <div class="histogram-head">
        <span>
          <strong data-testid="histogram-total">{formatCount(total)}</strong> entries, per{' '}
          {props.histogram.interval}
        </span>
        <span class="legend" aria-hidden="true">
          {STACK_ORDER.map((level) => (
            <span key={level} class={`swatch level-${level}`}>
              {level}
            </span>
          ))}
        </span>
      </div>
      <div
        ref={box}
        class="histogram-plot"
        onPointerDown={(e) => {
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          setDrag({ x1: x(e), x2: x(e) });
        }}
        onPointerMove={(e) => drag && setDrag({ ...drag, x2: x(e) })}
        onPointerUp={() => {
          if (drag) {
            const range = rangeForDrag(props.histogram, width, drag.x1, drag.x2);
            if (range) props.onZoom(range);
          }
          setDrag(null);
        }}
        onPointerCancel={() => setDrag(null)}
      >
        <svg
          width={width}
          height={HEIGHT}
          role="img"
          aria-label={`${formatCount(total)} entries from ${formatTime(startMs, props.utc)} to ${formatTime(endMs, props.utc)}; up to ${formatCount(max)} per ${props.histogram.interval}. Drag across the chart to zoom in.`}
        >
          {bars.map((bar) => (
            <g key={bar.startMs} class="bar" data-total={bar.total} data-start={bar.startMs}>
              <title>
                {formatTime(bar.startMs, props.utc)}: {formatCount(bar.total)}
                {bar.segments.map((s) => ` · ${s.level} ${formatCount(s.count)}`).join('')}
              </title>
              <rect class="bar-hit" x={bar.x} y={0} width={bar.width} height={HEIGHT} />
              {bar.segments.map((s) => (
                <rect
                  key={s.level}
                  class={`level-${s.level}`}
                  x={bar.x}
                  y={s.y}
                  width={bar.width}
                  height={s.height}
                />
              ))}
            </g>
          ))}
          {drag && (
            <rect
              class="selection"
              x={Math.min(drag.x1, drag.x2)}
              y={0}
              width={Math.abs(drag.x2 - drag.x1)}
              height={HEIGHT}
            />
          )}
        </svg>
      </div>
      <div class="histogram-axis" aria-hidden="true">
        <span>{formatTime(startMs, props.utc)}</span>
        <span>{formatTime(endMs, props.utc)}</span>
      </div>
    </section>
  );
}

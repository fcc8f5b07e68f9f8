// Samples the pipeline once per interval while a phase runs: entries accepted (by Redis), rows stored,
// backlog. Feeds the progress line and keeps the series the chart and the RSS-vs-backlog check use.
export function startSampler(probe, { intervalMs = 1000, onSample } = {}) {
  const series = [];
  const t0 = performance.now();
  let stopped = false;
  let baseAccepted;
  let rowCounter;
  let timer;

  const tick = async () => {
    try {
      const [added, rows, backlog] = await Promise.all([probe.entriesAdded(), rowCounter(), probe.backlog()]);
      const point = { t: (performance.now() - t0) / 1000, accepted: added - baseAccepted, rows, backlog };
      series.push(point);
      onSample?.(point);
    } catch (error) {
      onSample?.({ error: error.message });
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, intervalMs - ((performance.now() - t0) % intervalMs)));
  };

  const ready = (async () => {
    baseAccepted = await probe.entriesAdded();
    rowCounter = await probe.rowCounter();
    timer = setTimeout(tick, intervalMs);
  })();

  return {
    series,
    ready,
    async stop() {
      stopped = true;
      await ready;
      clearTimeout(timer);
      return series;
    },
  };
}

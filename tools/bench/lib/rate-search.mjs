// Issue 14's sustained figure: the highest offered rate at which freshness p99 stays under 1 s for a
// full sustained run (60 s). Pure logic, no I/O: how one step is judged and which rate to try next.
// The scenario (scenarios/sustained-search.mjs) runs the steps.

export const FRESHNESS_LIMIT_MS = 1000;
/** A step passes only when at least this share of the offered entries was answered 2xx. */
const MIN_ANSWERED_SHARE = 0.99;

/** Least-squares slope of y over t (entries/s for a backlog sampled every second); NaN below 3 points. */
export function slope(points) {
  const finite = points.filter(({ t, y }) => Number.isFinite(t) && Number.isFinite(y));
  if (finite.length < 3) return Number.NaN;
  const meanT = finite.reduce((sum, p) => sum + p.t, 0) / finite.length;
  const meanY = finite.reduce((sum, p) => sum + p.y, 0) / finite.length;
  let num = 0;
  let den = 0;
  for (const { t, y } of finite) {
    num += (t - meanT) * (y - meanY);
    den += (t - meanT) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/**
 * Judges one step. `step`: { offeredPerS, durationS, okEntries, unseen, freshnessP99,
 * freshnessP99LastQuarter, backlogAtEnd, backlogSlope }; `fullSeconds`: the length the figure is about
 * (--sustained-seconds). A short probe cannot show 60 s of freshness, so its backlog is extrapolated
 * linearly to `fullSeconds`: a backlog worth more than one second of intake would on its own make
 * entries wait about a second, so it fails the step. Returns { pass, reasons }.
 */
export function judgeStep(step, { fullSeconds, limitMs = FRESHNESS_LIMIT_MS }) {
  const reasons = [];
  const offered = step.offeredPerS * step.durationS;
  if (step.okEntries < MIN_ANSWERED_SHARE * offered)
    reasons.push(`${Math.round((100 * step.okEntries) / offered)}% of the offered entries answered 2xx`);
  if (step.unseen > 0) reasons.push(`${step.unseen} sampled entries never became visible`);
  if (!(step.freshnessP99 < limitMs)) reasons.push(`p99 ${Math.round(step.freshnessP99)} ms`);
  if (step.freshnessP99LastQuarter >= limitMs)
    reasons.push(`p99 ${Math.round(step.freshnessP99LastQuarter)} ms in the last quarter`);
  const remainingS = Math.max(0, fullSeconds - step.durationS);
  const growth = Number.isFinite(step.backlogSlope) ? Math.max(0, step.backlogSlope) * remainingS : 0;
  const projected = (Number.isFinite(step.backlogAtEnd) ? step.backlogAtEnd : 0) + growth;
  if (projected > step.offeredPerS * (limitMs / 1000)) {
    reasons.push(
      remainingS > 0
        ? `backlog ${Math.round(step.backlogAtEnd)} growing ${Math.round(step.backlogSlope)}/s: ~${Math.round(projected)} at ${fullSeconds} s`
        : `backlog ${Math.round(step.backlogAtEnd)} at the end`,
    );
  }
  return { pass: reasons.length === 0, reasons };
}

/** The highest passing rate and the lowest failing rate above it, from steps { offeredPerS, pass }. */
export function bracket(steps) {
  const passes = steps.filter((s) => s.pass).map((s) => s.offeredPerS);
  const low = passes.length > 0 ? Math.max(...passes) : null;
  // A failure below a pass is noise on a busy machine; the bracket keeps what is consistent with `low`.
  const fails = steps
    .filter((s) => !s.pass && (low === null || s.offeredPerS > low))
    .map((s) => s.offeredPerS);
  const high = fails.length > 0 ? Math.min(...fails) : null;
  return { low, high };
}

/**
 * The next rate to probe, or null when the bracket is narrower than `resolution` (high/low − 1).
 * Up by `factor` while every step passed; below a failure, the lower of failure / factor and 90% of the
 * rate the pipeline stored during the failing step (what it could do while overloaded); in between,
 * the geometric mean.
 */
export function nextRate(steps, { factor = 1.5, resolution = 0.1 } = {}) {
  const { low, high } = bracket(steps);
  if (low !== null && high !== null) {
    return high / low - 1 <= resolution ? null : Math.round(Math.sqrt(low * high));
  }
  if (low !== null) return Math.round(low * factor);
  const lowestFail = steps.filter((s) => !s.pass).sort((a, b) => a.offeredPerS - b.offeredPerS)[0];
  const stored = lowestFail.storedPerS;
  const down = lowestFail.offeredPerS / factor;
  return Math.round(Number.isFinite(stored) && stored > 0 ? Math.min(down, 0.9 * stored) : down);
}

/** After a failed confirmation at `rate`: the next candidate, 15% lower (or 90% of what it stored). */
export function lowerCandidate(step) {
  const down = step.offeredPerS * 0.85;
  const stored = step.storedPerS;
  return Math.round(Number.isFinite(stored) && stored > 0 ? Math.min(down, 0.9 * stored) : down);
}

// Scenario 4's rate search (issue 14): the highest offered rate at which freshness p99 stays under 1 s
// for a full --sustained-seconds run. Short probe steps bracket the rate (up by a factor while they
// pass, down below a failure, then bisect), then full-length steps confirm the best probe; only a
// full-length pass counts as the figure. Every step starts on an empty table and an empty backlog
// (sustainedRun drains after its load), so steps do not inherit each other's queue.
import { say } from '../lib/progress.mjs';
import { judgeStep, lowerCandidate, nextRate } from '../lib/rate-search.mjs';
import { sustainedRun } from './sustained.mjs';

/** The slimmer record of a step kept in results.json and shown in the table (no per-second series). */
function stepRecord(kind, run, verdict) {
  const { series: _series, ...rest } = run;
  return { kind, ...rest, pass: verdict.pass, reasons: verdict.reasons };
}

/**
 * `startRate`: the first probe. `seed`: scenario 4's run of this bench (a full-length step already
 * measured), used as the first step instead of spending a probe on it.
 */
export async function sustainedSearchScenario(ctx, { startRate, startNote, seed }) {
  const { opts } = ctx;
  const fullSeconds = opts.sustainedSeconds;
  const steps = [];
  const record = (kind, run) => {
    const verdict = judgeStep(run, { fullSeconds });
    const step = stepRecord(kind, run, verdict);
    steps.push(step);
    say(
      `  search ${kind} ${Math.round(run.offeredPerS)} entries/s: ${verdict.pass ? 'pass' : `fail (${verdict.reasons.join('; ')})`}`,
    );
    return step;
  };
  if (seed) record('scenario 4', seed);

  let rate = seed ? nextRate(steps) : startRate;
  for (let i = 0; i < opts.searchProbes && rate !== null; i += 1) {
    const run = await sustainedRun(ctx, {
      ratePerS: rate,
      durationS: opts.searchProbeSeconds,
      phase: `4 search probe ${i + 1}/${opts.searchProbes} ${rate} entries/s`,
    });
    record('probe', run);
    rate = nextRate(steps);
  }

  // Confirm with full-length steps: the best passing step so far, else the rate below the failures.
  const passed = () => steps.filter((s) => s.pass && s.durationS >= fullSeconds);
  const bestProbe = Math.max(0, ...steps.filter((s) => s.pass).map((s) => s.offeredPerS));
  let candidate = bestProbe > 0 ? bestProbe : nextRate(steps);
  for (let i = 0; i < opts.searchConfirms && candidate; i += 1) {
    // A full-length pass at or above the candidate already exists (scenario 4's run): nothing to confirm.
    if (passed().some((s) => s.offeredPerS >= candidate)) break;
    const run = await sustainedRun(ctx, {
      ratePerS: candidate,
      durationS: fullSeconds,
      phase: `4 search confirm ${i + 1}/${opts.searchConfirms} ${candidate} entries/s`,
    });
    const step = record('confirm', run);
    if (step.pass) break;
    candidate = lowerCandidate(step);
  }

  const confirmed = passed();
  const best = confirmed.sort((a, b) => b.offeredPerS - a.offeredPerS)[0] ?? null;
  return {
    fullSeconds,
    probeSeconds: opts.searchProbeSeconds,
    startRate: seed ? seed.offeredPerS : startRate,
    startNote: seed ? `scenario 4's run (${startNote})` : startNote,
    steps,
    ratePerS: best?.offeredPerS ?? Number.NaN,
    best,
    loadSeconds: steps.filter((s) => s.kind !== 'scenario 4').reduce((sum, s) => sum + s.durationS, 0),
  };
}

// Unmeasured load before measured runs: JIT, connection pools and caches warm up. The worker then stores
// everything it sent before the caller goes on, or the next run's delivery check would count those rows
// as its own.
import { progress } from './progress.mjs';
import { runWrk } from './wrk.mjs';

/**
 * `seconds` of single entries through nginx (3, or 1 in a quick run), and as many of json-100 batches with
 * `batches`; then drains.
 */
export async function warmUp(ctx, { phase, seconds = ctx.opts.mode === 'quick' ? 1 : 3, batches = false }) {
  const { stack, bodyFiles, probe, opts } = ctx;
  progress(phase, {
    note: `warming up: ${seconds} s single entries${batches ? `, ${seconds} s batches` : ''}`,
  });
  await runWrk({
    url: `${stack.nginxUrl}/api/log`,
    bodyFile: bodyFiles.single,
    format: 'json',
    connections: 16,
    durationS: seconds,
  });
  if (batches) {
    await runWrk({
      url: `${stack.nginxUrl}/api/logs`,
      bodyFile: bodyFiles['json-100'],
      format: 'json',
      connections: 8,
      durationS: seconds,
    });
  }
  await probe.waitDrained({
    timeoutMs: opts.drainTimeoutS * 1000,
    onTick: ({ backlog }) => progress(phase, { backlog, note: 'draining the warm-up' }),
  });
}

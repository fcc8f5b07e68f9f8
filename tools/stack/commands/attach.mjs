// Foreground mode: one short status line while attached; Ctrl-C or SIGTERM stops, in order, the
// processes this run started (processes it reused from an earlier run are left to `down`).
import { info } from '../lib/output.mjs';
import { START_ORDER, STOP_ORDER } from '../lib/stack.mjs';
import { inspect, stopService } from '../lib/supervisor.mjs';

const POLL_MS = 2000;

async function statusLine(stack, layout) {
  const parts = await Promise.all(
    stack.ordered(START_ORDER).map(async (service) => {
      if (!inspect(service, layout).running) return `${service.name} DOWN`;
      const { ok } = await service.probe();
      return `${service.name} ${ok ? 'ok' : 'UNHEALTHY'}`;
    }),
  );
  return parts.join(' | ');
}

export function attach({ stack, layout, started }) {
  const tty = process.stdout.isTTY === true;
  const reused = stack
    .ordered(START_ORDER)
    .filter((service) => !service.external && !started.includes(service.name));
  info(
    `attached; Ctrl-C stops ${started.length > 0 ? started.join(', ') : 'nothing (everything was reused)'}`,
  );
  if (reused.length > 0)
    info(`left running on exit (reused): ${reused.map((service) => service.name).join(', ')}`);

  return new Promise((resolveExit) => {
    let last = '';
    let stopping = false;
    let polling = false;
    const timer = setInterval(async () => {
      if (polling || stopping) return;
      polling = true;
      const line = `[${new Date().toTimeString().slice(0, 8)}] ${await statusLine(stack, layout)}`;
      polling = false;
      if (stopping) return;
      // On a terminal the line is rewritten in place; in a log only changes are written.
      if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      else if (line.slice(11) !== last.slice(11)) process.stdout.write(`${line}\n`);
      last = line;
    }, POLL_MS);

    const stop = async (signal) => {
      if (stopping) {
        info(`${signal} again: still stopping, please wait`);
        return;
      }
      stopping = true;
      clearInterval(timer);
      if (tty) process.stdout.write('\n');
      info(`${signal}: stopping`);
      for (const service of stack.ordered(STOP_ORDER)) {
        if (started.includes(service.name)) await stopService(service, layout);
      }
      info('stopped');
      resolveExit(0);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGHUP', () => stop('SIGHUP'));
  });
}

// What `up` prints once everything is healthy: where each process listens, how to send a log, where
// the logs and state are.
import { join } from 'node:path';
import { inspect } from '../lib/supervisor.mjs';
import { START_ORDER } from '../lib/stack.mjs';

export function printSummary({ stack, layout, config, started }) {
  const nginxUrl = stack.byName.nginx.url;
  const lines = [`logpipe stack is up (state: ${config.stateDir})`];
  for (const service of stack.ordered(START_ORDER)) {
    const { pid } = inspect(service, layout);
    const how = service.external
      ? 'external'
      : `pid ${pid}, ${started.includes(service.name) ? 'started' : 'reused'}`;
    lines.push(`  ${service.name.padEnd(9)} ${service.url.padEnd(48)} ${how}`);
  }
  lines.push(
    '',
    `Web console: ${nginxUrl}/  (sign in with a key from API_KEYS; any text when no keys are set)`,
    'Send one entry:',
    `  curl -sS -X POST ${nginxUrl}/api/log -H 'content-type: application/json' \\`,
    `    -d '{"level":"info","service":"demo","message":"hello from curl"}'`,
    'Send a batch:',
    `  curl -sS -X POST ${nginxUrl}/api/logs -H 'content-type: application/json' \\`,
    `    -d '[{"level":"info","service":"demo","message":"one"},{"level":"warn","service":"demo","message":"two"}]'`,
    `Send syslog (TCP or UDP, RFC 5424 or BSD) to 127.0.0.1:${config.ports.syslog}, e.g.:`,
    `  logger --server 127.0.0.1 --port ${config.ports.syslog} --tcp --octet-count 'hello from logger'`,
    '  (rsyslog and syslog-ng configs: docs/protocols/syslog.md)',
    'Read them back:',
    `  psql '${stack.databaseUrl}' -c 'SELECT ts, level, service, message FROM logs ORDER BY id DESC LIMIT 10'`,
    '',
    `Logs:   ${join(layout.logs, '<process>.log')}  (nginx access log: ${join(layout.nginx, 'logs', 'access.log')})`,
    `Env:    set -a; . ${layout.envFile}; set +a`,
    'Status: npm run stack:status    Stop: npm run stack:down (data is kept; --purge deletes it)',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

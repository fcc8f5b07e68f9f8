import { isProcessAlive, waitFor, workspaceRoot } from '@logpipe/e2e-support';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

const RSYSLOGD = '/usr/sbin/rsyslogd';

/** A syslog daemon started by a test with a private config, signalled by its PID only. */
export class Daemon {
  private output = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk) => (this.output += chunk));
    child.stderr?.on('data', (chunk) => (this.output += chunk));
  }

  static spawn(name: string, command: string, args: string[], env: Record<string, string> = {}): Daemon {
    const child = spawn(command, args, {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Daemon(name, child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  logs(): string {
    return this.output;
  }

  /** Waits until the daemon accepts TCP connections on its input port. */
  async waitListening(port: number): Promise<void> {
    await waitFor(
      `${this.name} listening on ${port}`,
      () =>
        new Promise<boolean>((resolve, reject) => {
          if (this.child.exitCode !== null) {
            reject(new Error(`${this.name} exited ${this.child.exitCode}: ${this.output}`));
            return;
          }
          const socket = connect(port, '127.0.0.1', () => {
            socket.destroy();
            resolve(true);
          });
          socket.on('error', () => resolve(false));
        }),
      20000,
    );
  }

  async stop(): Promise<void> {
    if (!isProcessAlive(this.pid)) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10000);
    await waitFor(
      `${this.name} to exit`,
      async () => !isProcessAlive(this.pid) || this.child.exitCode !== null,
      15000,
      50,
    );
    clearTimeout(timer);
  }
}

/** rsyslogd in the foreground (-n) on its own config and pid file; no system service, no /dev/log. */
export function startRsyslog(dir: string, config: string): Daemon {
  mkdirSync(join(dir, 'work'), { recursive: true });
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(conf, `global(workDirectory="${join(dir, 'work')}")\n${config}`);
  const check = spawnSync(RSYSLOGD, ['-N1', '-f', conf], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`rsyslogd rejected its config:\n${check.stdout}${check.stderr}`);
  return Daemon.spawn('rsyslogd', RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')]);
}

interface SyslogNgLocation {
  binary: string;
  modulePath: string;
  env: Record<string, string>;
}

/** The unpacked syslog-ng (tools/stack/lib/syslog-ng.mjs fetches it without installing: it conflicts with rsyslog). */
export function locateSyslogNg(): SyslogNgLocation {
  const script = join(workspaceRoot(), 'tools/stack/lib/syslog-ng.mjs');
  const result = spawnSync(process.execPath, [script, 'ensure'], { encoding: 'utf8', timeout: 300000 });
  if (result.status !== 0) throw new Error(`syslog-ng is not available: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() as string) as SyslogNgLocation;
}

/** syslog-ng in the foreground on its own config, persist file, pid file and control socket. */
export function startSyslogNg(dir: string, config: string): Daemon {
  const located = locateSyslogNg();
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'syslog-ng.conf');
  writeFileSync(conf, config);
  const args = [
    '-F',
    '--no-caps',
    '-e',
    `--module-path=${located.modulePath}`,
    '-f',
    conf,
    '-R',
    join(dir, 'syslog-ng.persist'),
    '-p',
    join(dir, 'syslog-ng.pid'),
    '-c',
    join(dir, 'syslog-ng.ctl'),
  ];
  const check = spawnSync(located.binary, [...args, '--syntax-only'], {
    encoding: 'utf8',
    env: { ...process.env, ...located.env },
  });
  if (check.status !== 0) throw new Error(`syslog-ng rejected its config:\n${check.stdout}${check.stderr}`);
  return Daemon.spawn('syslog-ng', located.binary, args, located.env);
}

/** A test CA, a server certificate for 127.0.0.1 and a client certificate with CN `clientName`, by openssl. */
export function makeTestCa(
  dir: string,
  clientName: string,
): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => {
    const result = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=logpipe-test-ca',
  );
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ['client', clientName, 'extendedKeyUsage=clientAuth'],
  ]) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
      '-subj',
      `/CN=${cn}`,
    );
    writeFileSync(path(`${name}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      path(`${name}.csr`),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-CAcreateserial',
      '-out',
      path(`${name}.pem`),
      '-days',
      '2',
      '-extfile',
      path(`${name}.ext`),
    );
  }
  if (!existsSync(path('client.pem'))) throw new Error(readFileSync(path('client.csr'), 'utf8'));
  return {
    ca: path('ca.pem'),
    serverCert: path('server.pem'),
    serverKey: path('server.key'),
    clientCert: path('client.pem'),
    clientKey: path('client.key'),
  };
}

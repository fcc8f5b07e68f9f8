import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './rendered-manifests';

/** The limits of the compose/stack front, read from nginx/ and docker-compose.yml (its defaults). */
export interface NginxLimits {
  rateLimitRps: number;
  rateLimitBurst: number;
  connectTimeoutSeconds: number;
  sendTimeoutSeconds: number;
  readTimeoutSeconds: number;
  bodyBufferSize: string;
  tail: { buffering: string; readTimeoutSeconds: number; maxPerIp: number };
}

const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** nginx's time syntax: 30s, 1h, 60. */
export function nginxSeconds(value: string): number {
  const match = /^(\d+)(s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`not an nginx duration: ${value}`);
  return Number(match[1]) * UNIT_SECONDS[match[2] ?? ''];
}

/** nginx's size syntax (client_max_body_size, proxy-body-size): 5m, 1024k, 5242880. */
export function nginxBytes(value: string): number {
  const match = /^(\d+)([kmg])?$/i.exec(value.trim());
  if (!match) throw new Error(`not an nginx size: ${value}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase()] as number;
  return Number(match[1]) * unit;
}

function directive(text: string, name: string, where: string): string {
  const match = new RegExp(`^\\s*${name}\\s+([^;]+);`, 'm').exec(text);
  if (!match) throw new Error(`${where} has no ${name}`);
  return match[1].trim();
}

function composeDefault(compose: string, variable: string): number {
  const match = new RegExp(`\\$\\{${variable}:-(\\d+)\\}`).exec(compose);
  if (!match) throw new Error(`docker-compose.yml gives ${variable} no default`);
  return Number(match[1]);
}

export function readNginxLimits(): NginxLimits {
  const template = readFileSync(join(REPO_ROOT, 'nginx/logpipe.conf.template'), 'utf8');
  const compose = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  // The block ends at the first line holding only `}` (template variables carry braces too).
  const tailBlock = /location = \/api\/logs\/tail \{([\s\S]*?)\n\s*\}\s*\n/.exec(template)?.[1];
  if (!tailBlock) throw new Error('nginx/logpipe.conf.template has no location = /api/logs/tail');
  // The server-level directives: the template with the tail's block (which overrides some) taken out.
  const server = template.replace(tailBlock, '');
  return {
    rateLimitRps: composeDefault(compose, 'RATE_LIMIT_RPS'),
    rateLimitBurst: composeDefault(compose, 'RATE_LIMIT_BURST'),
    connectTimeoutSeconds: nginxSeconds(directive(server, 'proxy_connect_timeout', 'nginx/')),
    sendTimeoutSeconds: nginxSeconds(directive(server, 'proxy_send_timeout', 'nginx/')),
    readTimeoutSeconds: nginxSeconds(directive(server, 'proxy_read_timeout', 'nginx/')),
    bodyBufferSize: directive(server, 'client_body_buffer_size', 'nginx/'),
    tail: {
      buffering: directive(tailBlock, 'proxy_buffering', 'the tail location'),
      readTimeoutSeconds: nginxSeconds(directive(tailBlock, 'proxy_read_timeout', 'the tail location')),
      maxPerIp: composeDefault(compose, 'TAIL_MAX_PER_IP'),
    },
  };
}

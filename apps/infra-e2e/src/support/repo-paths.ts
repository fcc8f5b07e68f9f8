import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../../..');
export const STACK_CLI = join(REPO_ROOT, 'tools', 'stack', 'cli.mjs');
export const NGINX_TEMPLATE = join(REPO_ROOT, 'nginx', 'logpipe.conf.template');
export const NGINX_STREAM_TEMPLATE = join(REPO_ROOT, 'nginx', 'logpipe-stream.conf.template');
export const NGINX_DOCKER_MAIN = join(REPO_ROOT, 'nginx', 'docker', 'nginx.conf');
export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
export const ENV_EXAMPLE = join(REPO_ROOT, '.env.example');
export const STACK_POSTGRES_MODULE = join(REPO_ROOT, 'tools', 'stack', 'lib', 'postgres.mjs');
export const REDIS_CONFIG = join(REPO_ROOT, 'deploy', 'redis', 'logpipe.conf');

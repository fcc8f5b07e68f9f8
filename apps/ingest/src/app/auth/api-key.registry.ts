import { DEFAULT_TENANT } from '@logpipe/log-schema';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IngestConfig } from '../ingest.config';
import {
  ApiKeyConfigError,
  assertUnambiguous,
  parseApiKeyFile,
  parseApiKeyList,
  type ApiKeyEntry,
} from './api-keys';

interface KnownKey {
  tenant: string;
  digest: Buffer;
}

const digestOf = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * The configured API keys, kept only as SHA-256 digests. A presented key is compared with every
 * configured one by crypto.timingSafeEqual on equal-length digests, and the loop never stops early,
 * so neither the time taken nor its variation tells how much of a key was right or which one matched.
 *
 * reload() re-reads API_KEYS_FILE (ApiKeyFileWatcher calls it on SIGHUP and when the file changes) and
 * swaps the whole list in one assignment: a request sees either the old keys or the new ones, never a
 * mix, and a file that does not parse leaves the old keys in place.
 */
@Injectable()
export class ApiKeyRegistry implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeyRegistry.name);
  private readonly list: string | undefined;
  private readonly file: string | undefined;
  private keys: readonly KnownKey[];
  /** Digest of what the last successful load read, so an unchanged file is not re-applied (or re-logged). */
  private loadedVersion: string;

  constructor(config: ConfigService<IngestConfig, true>) {
    this.list = config.get('API_KEYS', { infer: true });
    this.file = config.get('API_KEYS_FILE', { infer: true });
    const entries = ApiKeyRegistry.load(this.list, this.file);
    this.keys = ApiKeyRegistry.digests(entries);
    this.loadedVersion = ApiKeyRegistry.versionOf(entries);
  }

  private static digests(entries: readonly ApiKeyEntry[]): KnownKey[] {
    return entries.map(({ tenant, key }) => ({ tenant, digest: digestOf(key) }));
  }

  private static versionOf(entries: readonly ApiKeyEntry[]): string {
    const hash = createHash('sha256');
    for (const { tenant, key } of entries) hash.update(`${tenant}\0${key}\0`);
    return hash.digest('hex');
  }

  /** The keys file this registry reloads from, if any. */
  get keysFile(): string | undefined {
    return this.file;
  }

  /**
   * Re-reads API_KEYS and API_KEYS_FILE and swaps in the result. Returns true when the keys changed. A file
   * that cannot be read or parsed keeps the current keys and logs why (the error names a line, never a key).
   */
  reload(trigger: string): boolean {
    if (this.file === undefined) return false;
    let entries: ApiKeyEntry[];
    try {
      entries = ApiKeyRegistry.load(this.list, this.file);
    } catch (error) {
      this.logger.error({
        message: 'API keys not reloaded: the new keys file is not valid; keeping the current keys',
        trigger,
        file: this.file,
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
    const version = ApiKeyRegistry.versionOf(entries);
    if (version === this.loadedVersion) {
      // Said only when asked (SIGHUP, systemctl reload), so the operator sees the request was handled.
      if (trigger === 'SIGHUP') this.logger.log({ message: 'API keys file re-read: unchanged', trigger });
      return false;
    }
    this.keys = ApiKeyRegistry.digests(entries);
    this.loadedVersion = version;
    this.logger.log({ message: 'API keys reloaded', trigger, tenants: this.tenants, keys: this.keys.length });
    return true;
  }

  static load(list: string | undefined, file: string | undefined): ApiKeyEntry[] {
    const entries = list !== undefined ? parseApiKeyList(list) : [];
    if (file !== undefined) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new ApiKeyConfigError(
          `API_KEYS_FILE ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
      entries.push(...parseApiKeyFile(text));
    }
    if ((list !== undefined || file !== undefined) && entries.length === 0) {
      // Set but empty (API_KEYS= in an .env) would silently open the API: refuse to start instead.
      throw new ApiKeyConfigError('API_KEYS / API_KEYS_FILE is set but lists no tenant:key pair');
    }
    assertUnambiguous(entries);
    return entries;
  }

  /** No keys configured: every request is accepted as tenant "default". */
  get isOpen(): boolean {
    return this.keys.length === 0;
  }

  get tenants(): string[] {
    return [...new Set(this.keys.map((k) => k.tenant))].sort();
  }

  /** The tenant the key belongs to, or null. In open mode every caller is the default tenant. */
  tenantOf(presented: string | undefined): string | null {
    if (this.isOpen) return DEFAULT_TENANT;
    if (presented === undefined || presented === '') return null;
    const digest = digestOf(presented);
    let tenant: string | null = null;
    for (const known of this.keys) {
      if (timingSafeEqual(known.digest, digest)) tenant = known.tenant;
    }
    return tenant;
  }

  onApplicationBootstrap(): void {
    if (this.isOpen) {
      this.logger.warn({
        message:
          '!!! NO API KEYS CONFIGURED: the API is OPEN. Anyone who can reach it can write and read every log, all as tenant "default". ' +
          'Set API_KEYS=tenant:key[,tenant:key...] or API_KEYS_FILE to require keys. !!!',
      });
    } else {
      this.logger.log({ message: 'API keys required', tenants: this.tenants, keys: this.keys.length });
    }
  }
}

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
 */
@Injectable()
export class ApiKeyRegistry implements OnApplicationBootstrap {
  private readonly logger = new Logger(ApiKeyRegistry.name);
  private readonly keys: readonly KnownKey[];

  constructor(config: ConfigService<IngestConfig, true>) {
    this.keys = ApiKeyRegistry.load(
      config.get('API_KEYS', { infer: true }),
      config.get('API_KEYS_FILE', { infer: true }),
    ).map(({ tenant, key }) => ({ tenant, digest: digestOf(key) }));
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

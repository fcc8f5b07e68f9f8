import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { IngestConfig } from '../ingest.config';
import { ApiKeyRegistry } from './api-key.registry';

// Changes that arrive together (an editor's write, a rename over the file) are read once, a moment later.
const SETTLE_MS = 25;

/**
 * Reloads the API keys without a restart: on SIGHUP, when the directory watch sees the keys file change,
 * and from a poll of its stat (API_KEYS_POLL_MS) for file systems that deliver no watch events. The
 * directory is watched rather than the file because the safe way to replace the file, writing a new
 * one and renaming it over the old, gives the path a new inode that a watch on the old file would miss.
 */
@Injectable()
export class ApiKeyFileWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ApiKeyFileWatcher.name);
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private lastStat = '';
  private readonly onHangup = (): void => this.schedule('SIGHUP');

  constructor(
    private readonly registry: ApiKeyRegistry,
    private readonly config: ConfigService<IngestConfig, true>,
  ) {}

  onApplicationBootstrap(): void {
    // Registered even without a keys file: a SIGHUP (systemctl reload) must never end the process.
    process.on('SIGHUP', this.onHangup);
    const file = this.registry.keysFile;
    if (file === undefined) return;
    this.lastStat = this.statOf(file);
    try {
      this.watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
        if (name === null || name.toString() === basename(file)) this.schedule('file changed');
      });
      this.watcher.on('error', (error) =>
        this.logger.warn({
          message: 'watching the API keys file failed; polling only',
          error: error.message,
        }),
      );
    } catch (error) {
      this.logger.warn({
        message: 'cannot watch the API keys file; polling only',
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.poll = setInterval(
      () => {
        const stat = this.statOf(file);
        if (stat !== this.lastStat) this.schedule('file changed (poll)');
      },
      this.config.get('API_KEYS_POLL_MS', { infer: true }),
    );
    this.poll.unref();
  }

  onApplicationShutdown(): void {
    process.off('SIGHUP', this.onHangup);
    this.watcher?.close();
    clearInterval(this.poll);
    clearTimeout(this.pending);
  }

  private schedule(trigger: string): void {
    if (this.pending !== undefined) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      const file = this.registry.keysFile;
      if (file !== undefined) this.lastStat = this.statOf(file);
      if (file === undefined && trigger === 'SIGHUP') {
        this.logger.log({ message: 'SIGHUP: no API_KEYS_FILE to reload' });
        return;
      }
      this.registry.reload(trigger);
    }, SETTLE_MS);
  }

  /** Identity and version of the file as the poll compares them; '' while it is missing. */
  private statOf(file: string): string {
    try {
      const stat = statSync(file);
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      return '';
    }
  }
}

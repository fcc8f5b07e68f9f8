import { parseDuration } from '@logpipe/app-runtime';
import type { LogRowDeletion } from '@logpipe/log-store';

/** How long rows are kept: RETENTION for everyone, TENANT_RETENTION per tenant; 0 keeps forever. */
export interface RetentionPolicy {
  defaultMs: number;
  tenants: ReadonlyMap<string, number>;
}

const TENANT_ENTRY = /^([A-Za-z0-9._-]{1,64}):(.+)$/;

/** TENANT_RETENTION's syntax, for the config class: `tenant:duration` pairs separated by commas. */
export const TENANT_RETENTION_PATTERN =
  /^\s*[A-Za-z0-9._-]{1,64}:\d+\s*(ms|s|m|h|d|w)?\s*(,\s*[A-Za-z0-9._-]{1,64}:\d+\s*(ms|s|m|h|d|w)?\s*)*$/;

/** "acme:7d,globex:90d" -> {acme: 7 days, globex: 90 days} in milliseconds. Throws on a bad entry. */
export function parseTenantRetention(text: string | undefined): Map<string, number> {
  const tenants = new Map<string, number>();
  if (text === undefined || text.trim() === '') return tenants;
  for (const item of text.split(',')) {
    const match = TENANT_ENTRY.exec(item.trim());
    const ms = match === null ? undefined : parseDuration(match[2]);
    if (match === null || ms === undefined) {
      throw new RangeError(`TENANT_RETENTION: "${item.trim()}" is not tenant:duration (e.g. acme:7d)`);
    }
    if (tenants.has(match[1])) throw new RangeError(`TENANT_RETENTION names ${match[1]} twice`);
    tenants.set(match[1], ms);
  }
  return tenants;
}

export interface RetentionPlan {
  /** Partitions wholly before this go (DROP TABLE); null keeps every partition. */
  dropPartitionsBefore: Date | null;
  /** Rows of tenants with a shorter retention than the partitions', deleted in bounded batches. */
  deletions: LogRowDeletion[];
}

/**
 * Partitions are kept as long as the longest retention asks (0 anywhere: forever), so a tenant with a
 * longer retention never loses rows to a DROP; tenants with a shorter one lose theirs by DELETE.
 */
export function planRetention(policy: RetentionPolicy, now: Date): RetentionPlan {
  const all = [policy.defaultMs, ...policy.tenants.values()];
  const keepPartitionsMs = all.includes(0) ? 0 : Math.max(...all);
  const shorter = (ms: number) => ms > 0 && (keepPartitionsMs === 0 || ms < keepPartitionsMs);
  const before = (ms: number) => new Date(now.getTime() - ms);

  const deletions: LogRowDeletion[] = [];
  const byRetention = new Map<number, string[]>();
  for (const [tenant, ms] of policy.tenants) {
    if (shorter(ms)) byRetention.set(ms, [...(byRetention.get(ms) ?? []), tenant]);
  }
  for (const [ms, tenants] of [...byRetention].sort(([a], [b]) => a - b)) {
    deletions.push({ tenants: tenants.sort(), except: false, before: before(ms) });
  }
  if (shorter(policy.defaultMs)) {
    deletions.push({
      tenants: [...policy.tenants.keys()].sort(),
      except: true,
      before: before(policy.defaultMs),
    });
  }
  return {
    dropPartitionsBefore: keepPartitionsMs === 0 ? null : before(keepPartitionsMs),
    deletions,
  };
}

import { TENANT_PATTERN } from '@logpipe/log-schema';

/** Shortest key accepted: anything shorter is guessable. */
export const MIN_API_KEY_LENGTH = 16;

export interface ApiKeyEntry {
  tenant: string;
  key: string;
}

/** A configuration problem. The message names where (variable, position or line), never the key itself. */
export class ApiKeyConfigError extends Error {
  override readonly name = 'ApiKeyConfigError';
}

function parseEntry(text: string, where: string): ApiKeyEntry {
  const colon = text.indexOf(':');
  if (colon < 0) throw new ApiKeyConfigError(`${where}: expected tenant:key`);
  const tenant = text.slice(0, colon).trim();
  const key = text.slice(colon + 1).trim();
  if (!TENANT_PATTERN.test(tenant)) {
    throw new ApiKeyConfigError(`${where}: the tenant must be 1-64 of A-Z a-z 0-9 . _ -`);
  }
  if (key.length < MIN_API_KEY_LENGTH || /\s/.test(key)) {
    throw new ApiKeyConfigError(
      `${where}: the key of tenant "${tenant}" must be at least ${MIN_API_KEY_LENGTH} characters without spaces`,
    );
  }
  return { tenant, key };
}

/** API_KEYS: `tenantA:key1,tenantB:key2`. A tenant may have several keys (to rotate them). */
export function parseApiKeyList(text: string, source = 'API_KEYS'): ApiKeyEntry[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .map((item, index) => ({ item, index }))
    .filter(({ item }) => item !== '')
    .map(({ item, index }) => parseEntry(item, `${source} entry ${index + 1}`));
}

/** API_KEYS_FILE: one `tenant:key` per line; blank lines and lines starting with # are skipped. */
export function parseApiKeyFile(text: string, source = 'API_KEYS_FILE'): ApiKeyEntry[] {
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ line: line.trim(), index }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'))
    .map(({ line, index }) => parseEntry(line, `${source} line ${index + 1}`));
}

/** One key must mean one tenant: a key listed for two tenants is refused rather than guessed. */
export function assertUnambiguous(entries: readonly ApiKeyEntry[]): void {
  const owner = new Map<string, string>();
  for (const { tenant, key } of entries) {
    const previous = owner.get(key);
    if (previous !== undefined && previous !== tenant) {
      throw new ApiKeyConfigError(`one key is configured for two tenants ("${previous}" and "${tenant}")`);
    }
    owner.set(key, tenant);
  }
}

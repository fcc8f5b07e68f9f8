import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiKeyConfigError, MIN_API_KEY_LENGTH } from '../auth/api-keys';

const digestOf = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * ADMIN_API_KEYS: comma-separated keys for /api/admin, separate from the tenants' keys (an admin key
 * belongs to no tenant, and a tenant key never opens the admin routes). Kept as SHA-256 digests and
 * compared like ApiKeyRegistry does: timingSafeEqual against every key, never leaving the loop early.
 */
export class AdminKeys {
  private readonly digests: readonly Buffer[];

  constructor(list: string | undefined) {
    const keys = (list ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key !== '');
    keys.forEach((key, index) => {
      if (key.length < MIN_API_KEY_LENGTH || /\s/.test(key)) {
        throw new ApiKeyConfigError(
          `ADMIN_API_KEYS entry ${index + 1}: a key must be at least ${MIN_API_KEY_LENGTH} characters without spaces`,
        );
      }
    });
    if (list !== undefined && list.trim() !== '' && keys.length === 0) {
      throw new ApiKeyConfigError('ADMIN_API_KEYS is set but lists no key');
    }
    this.digests = keys.map(digestOf);
  }

  /** No admin key configured: the admin routes are switched off (403), whatever the tenant keys say. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  matches(presented: string | undefined): boolean {
    if (presented === undefined || presented === '') return false;
    const digest = digestOf(presented);
    let found = false;
    for (const known of this.digests) {
      if (timingSafeEqual(known, digest)) found = true;
    }
    return found;
  }
}

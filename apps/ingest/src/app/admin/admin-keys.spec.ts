import { AdminKeys } from './admin-keys';

const KEY = 'admin-key-0123456789abcdef';

describe('AdminKeys', () => {
  it('is switched off without ADMIN_API_KEYS, and then matches nothing', () => {
    const keys = new AdminKeys(undefined);
    expect(keys.enabled).toBe(false);
    expect(keys.matches(KEY)).toBe(false);
    expect(new AdminKeys('').enabled).toBe(false);
  });

  it('matches exactly the configured keys', () => {
    const keys = new AdminKeys(` ${KEY} , other-admin-key-0123456789 `);
    expect(keys.enabled).toBe(true);
    expect(keys.matches(KEY)).toBe(true);
    expect(keys.matches('other-admin-key-0123456789')).toBe(true);
    expect(keys.matches(KEY.slice(0, -1))).toBe(false);
    expect(keys.matches(undefined)).toBe(false);
    expect(keys.matches('')).toBe(false);
  });

  it('refuses short keys and a list of nothing, naming the position, never the key', () => {
    expect(() => new AdminKeys(`${KEY},short`)).toThrow(/ADMIN_API_KEYS entry 2: a key must be at least 16/);
    expect(() => new AdminKeys(' , ')).toThrow(/lists no key/);
    try {
      new AdminKeys('tooshort');
    } catch (error) {
      expect((error as Error).message).not.toContain('tooshort');
    }
  });
});

import type { ConfigService } from '@nestjs/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestConfig } from '../ingest.config';
import { ApiKeyRegistry } from './api-key.registry';
import { ApiKeyConfigError } from './api-keys';

const KEY_A = 'acme-key-0123456789abcdef';
const KEY_B = 'globex-key-0123456789abcdef';

function registry(env: Partial<Record<'API_KEYS' | 'API_KEYS_FILE', string>>): ApiKeyRegistry {
  const config = { get: (name: 'API_KEYS' | 'API_KEYS_FILE') => env[name] } as unknown as ConfigService<
    IngestConfig,
    true
  >;
  return new ApiKeyRegistry(config);
}

describe('ApiKeyRegistry', () => {
  it('is open, as tenant "default", when no keys are configured', () => {
    const open = registry({});
    expect(open.isOpen).toBe(true);
    expect(open.tenantOf(undefined)).toBe('default');
    expect(open.tenantOf('anything')).toBe('default');
  });

  it('maps each configured key to its tenant and refuses everything else', () => {
    const keys = registry({ API_KEYS: `acme:${KEY_A},globex:${KEY_B}` });
    expect(keys.isOpen).toBe(false);
    expect(keys.tenants).toEqual(['acme', 'globex']);
    expect(keys.tenantOf(KEY_A)).toBe('acme');
    expect(keys.tenantOf(KEY_B)).toBe('globex');
    expect(keys.tenantOf(undefined)).toBeNull();
    expect(keys.tenantOf('')).toBeNull();
    expect(keys.tenantOf(KEY_A.slice(0, -1))).toBeNull();
    expect(keys.tenantOf(`${KEY_A}x`)).toBeNull();
    expect(keys.tenantOf(KEY_A.toUpperCase())).toBeNull();
  });

  it('combines API_KEYS with a key file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'logpipe-keys-'));
    try {
      const file = join(dir, 'keys');
      writeFileSync(file, `# keys\nglobex:${KEY_B}\n`);
      const keys = registry({ API_KEYS: `acme:${KEY_A}`, API_KEYS_FILE: file });
      expect([keys.tenantOf(KEY_A), keys.tenantOf(KEY_B)]).toEqual(['acme', 'globex']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a missing key file, or on settings that list no key (which would open the API)', () => {
    expect(() => registry({ API_KEYS_FILE: '/nonexistent/logpipe-keys' })).toThrow(ApiKeyConfigError);
    expect(() => registry({ API_KEYS: ' , ' })).toThrow(
      'API_KEYS / API_KEYS_FILE is set but lists no tenant:key pair',
    );
    expect(() => registry({ API_KEYS: '' })).toThrow(
      'API_KEYS / API_KEYS_FILE is set but lists no tenant:key pair',
    );
  });

  describe('reload', () => {
    let dir: string;
    let file: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'logpipe-registry-'));
      file = join(dir, 'keys');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('swaps in the keys the file lists now: a new key works, a removed one does not', () => {
      writeFileSync(file, `acme:${KEY_A}\n`);
      const keys = registry({ API_KEYS_FILE: file });
      writeFileSync(file, `globex:${KEY_B}\n`);
      expect(keys.reload('test')).toBe(true);
      expect(keys.tenantOf(KEY_B)).toBe('globex');
      expect(keys.tenantOf(KEY_A)).toBeNull();
      expect(keys.reload('test')).toBe(false);
    });

    it('keeps the current keys when the new file is unreadable, does not parse, or lists nothing', () => {
      writeFileSync(file, `acme:${KEY_A}\n`);
      const keys = registry({ API_KEYS_FILE: file });
      for (const text of ['not a pair\n', '# nothing\n', `acme:short\n`]) {
        writeFileSync(file, text);
        expect(keys.reload('test')).toBe(false);
        expect(keys.tenantOf(KEY_A)).toBe('acme');
        expect(keys.isOpen).toBe(false);
      }
      rmSync(file);
      expect(keys.reload('test')).toBe(false);
      expect(keys.tenantOf(KEY_A)).toBe('acme');
    });

    it('has nothing to reload without a keys file', () => {
      const keys = registry({ API_KEYS: `acme:${KEY_A}` });
      expect(keys.reload('SIGHUP')).toBe(false);
      expect(keys.tenantOf(KEY_A)).toBe('acme');
    });
  });
});

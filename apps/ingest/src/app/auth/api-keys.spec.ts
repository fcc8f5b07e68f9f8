import { ApiKeyConfigError, assertUnambiguous, parseApiKeyFile, parseApiKeyList } from './api-keys';

const KEY_A = 'a'.repeat(16);
const KEY_B = 'b-secret-key-0123456789';

function failure(run: () => unknown): ApiKeyConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiKeyConfigError) return error;
    throw error;
  }
  throw new Error('expected an ApiKeyConfigError');
}

describe('API key configuration', () => {
  it('reads comma-separated tenant:key pairs, trimming spaces and skipping empty items', () => {
    expect(parseApiKeyList(` acme:${KEY_A} , globex:${KEY_B},,acme:${KEY_B}x `)).toEqual([
      { tenant: 'acme', key: KEY_A },
      { tenant: 'globex', key: KEY_B },
      { tenant: 'acme', key: `${KEY_B}x` },
    ]);
  });

  it('keeps colons after the first one as part of the key', () => {
    expect(parseApiKeyList(`acme:${KEY_A}:more`)).toEqual([{ tenant: 'acme', key: `${KEY_A}:more` }]);
  });

  it('reads a key file with comments and blank lines', () => {
    expect(parseApiKeyFile(`# production\n\nacme:${KEY_A}\r\n  # old\nglobex:${KEY_B}\n`)).toEqual([
      { tenant: 'acme', key: KEY_A },
      { tenant: 'globex', key: KEY_B },
    ]);
  });

  it.each([
    ['no colon', `acme${KEY_A}`, 'API_KEYS entry 1: expected tenant:key'],
    ['a bad tenant name', `ac me:${KEY_A}`, 'API_KEYS entry 1: the tenant must be 1-64 of A-Z a-z 0-9 . _ -'],
    [
      'a short key',
      'acme:short-key',
      'API_KEYS entry 1: the key of tenant "acme" must be at least 16 characters without spaces',
    ],
  ])('refuses %s, naming the position but never the key', (_name, text, message) => {
    const error = failure(() => parseApiKeyList(`globex:${KEY_B},${text}`.split(',').slice(1).join(',')));
    expect(error.message).toBe(message);
    expect(error.message).not.toContain(KEY_A);
    expect(error.message).not.toContain('short-key');
  });

  it('names the line of a bad entry in a file', () => {
    expect(failure(() => parseApiKeyFile(`acme:${KEY_A}\nbroken\n`)).message).toBe(
      'API_KEYS_FILE line 2: expected tenant:key',
    );
  });

  it('refuses one key for two tenants without printing it', () => {
    const error = failure(() =>
      assertUnambiguous([
        { tenant: 'acme', key: KEY_A },
        { tenant: 'globex', key: KEY_A },
      ]),
    );
    expect(error.message).toBe('one key is configured for two tenants ("acme" and "globex")');
    expect(() =>
      assertUnambiguous([
        { tenant: 'acme', key: KEY_A },
        { tenant: 'acme', key: KEY_A },
      ]),
    ).not.toThrow();
  });
});

import { isNoGroupError, StreamUnavailableError, toStreamError } from './stream-unavailable.error';

function errorWith(message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), extra);
}

describe('toStreamError', () => {
  it.each([
    ['a command timeout', errorWith('Command timed out')],
    [
      'a write while disconnected',
      errorWith("Stream isn't writeable and enableOfflineQueue options is false"),
    ],
    ['a closed connection', errorWith('Connection is closed.')],
    ['a refused connection', errorWith('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' })],
    ['a reset connection', errorWith('read ECONNRESET', { code: 'ECONNRESET' })],
    [
      'exhausted retries',
      Object.assign(errorWith('Reached the max retries per request limit (which is 0).'), {
        name: 'MaxRetriesPerRequestError',
      }),
    ],
    ['Redis out of memory', errorWith("OOM command not allowed when used memory > 'maxmemory'.")],
    ['Redis loading its data set', errorWith('LOADING Redis is loading the dataset in memory')],
    [
      'a MULTI refused because of OOM',
      errorWith('EXECABORT Transaction discarded because of previous errors.', {
        previousErrors: [errorWith("OOM command not allowed when used memory > 'maxmemory'.")],
      }),
    ],
  ])('wraps %s in StreamUnavailableError keeping the cause', (_, cause) => {
    const mapped = toStreamError(cause, 'append');

    expect(mapped).toBeInstanceOf(StreamUnavailableError);
    expect(mapped.message).toContain('append');
    expect(mapped.cause).toBe(cause);
  });

  it.each([
    ['a wrong type', errorWith('WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['a missing group', errorWith("NOGROUP No such key 'k' or consumer group 'g'")],
    ['a syntax error', errorWith('ERR syntax error')],
    [
      'a MULTI refused for a reason that is not transient',
      errorWith('EXECABORT Transaction discarded because of previous errors.', {
        previousErrors: [errorWith('ERR syntax error')],
      }),
    ],
  ])('passes %s through unchanged', (_, error) => {
    expect(toStreamError(error, 'append')).toBe(error);
  });

  it('returns an existing StreamUnavailableError as it is', () => {
    const error = new StreamUnavailableError('down');
    expect(toStreamError(error, 'append')).toBe(error);
  });
});

describe('isNoGroupError', () => {
  it('recognises a missing group or stream and nothing else', () => {
    expect(
      isNoGroupError(
        errorWith("NOGROUP No such key 'k' or consumer group 'g' in XREADGROUP with GROUP option"),
      ),
    ).toBe(true);
    expect(isNoGroupError(errorWith('ERR no such key'))).toBe(true);
    expect(isNoGroupError(errorWith('BUSYGROUP Consumer Group name already exists'))).toBe(false);
    expect(isNoGroupError('NOGROUP')).toBe(false);
  });
});

import { createJsonLogger } from './json-logger';

describe('createJsonLogger', () => {
  it('prints one JSON object per line with the level and message', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      createJsonLogger('info', 'test').log('hello');
      const line = String(write.mock.calls[0][0]);
      expect(JSON.parse(line)).toMatchObject({ level: 'log', message: 'hello', context: 'test' });
    } finally {
      write.mockRestore();
    }
  });

  it('drops levels more verbose than the configured one', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const logger = createJsonLogger('warn', 'test');
      logger.log('not shown');
      logger.debug('not shown');
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
  });
});

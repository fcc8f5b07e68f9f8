import { turnV8FlagOffUnlessNamed } from './v8-flag';

describe('turnV8FlagOffUnlessNamed', () => {
  it('sets the flag off when no argument names it', () => {
    expect(turnV8FlagOffUnlessNamed('memory-reducer', ['--memory-reducer-for-small-heaps'])).toBe(true);
  });

  it('matches the whole flag, in either polarity and with dashes or underscores', () => {
    expect(turnV8FlagOffUnlessNamed('memory-reducer', ['--memory_reducer'])).toBe(false);
    expect(turnV8FlagOffUnlessNamed('memory-reducer', ['--no-memory-reducer'])).toBe(false);
    expect(turnV8FlagOffUnlessNamed('memory-reducer', ['--memory-reducerx'])).toBe(true);
  });
});

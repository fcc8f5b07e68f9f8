import { namesV8Flag, turnV8FlagOffUnlessNamed } from './v8-flag';

describe('namesV8Flag', () => {
  it('matches the whole flag, in either polarity and with dashes or underscores', () => {
    expect(namesV8Flag('memory-reducer', ['--memory_reducer'])).toBe(true);
    expect(namesV8Flag('memory-reducer', ['--inspect', '--no-memory-reducer'])).toBe(true);
    expect(namesV8Flag('memory-reducer', ['--nomemory-reducer'])).toBe(true);
    expect(namesV8Flag('memory-reducer', ['--nomemory_reducer'])).toBe(true);
    expect(namesV8Flag('memory-reducer', ['--memory-reducerx'])).toBe(false);
    expect(namesV8Flag('memory-reducer', ['--memory-reducer-for-small-heaps'])).toBe(false);
    expect(namesV8Flag('memory-reducer', [])).toBe(false);
  });
});

describe('turnV8FlagOffUnlessNamed', () => {
  it('sets the flag off when no argument names it', () => {
    expect(turnV8FlagOffUnlessNamed('allocation-site-pretenuring', ['--allocation-site-pretenuring-x'])).toBe(
      true,
    );
  });

  it('leaves it as the command line set it', () => {
    expect(turnV8FlagOffUnlessNamed('allocation-site-pretenuring', ['--allocation_site_pretenuring'])).toBe(
      false,
    );
    expect(
      turnV8FlagOffUnlessNamed('allocation-site-pretenuring', ['--no-allocation-site-pretenuring']),
    ).toBe(false);
  });
});

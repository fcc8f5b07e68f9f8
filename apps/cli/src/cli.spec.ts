import { run, USAGE } from './cli';

/** Runs the CLI in-process and collects what it prints. Only paths that stop before connecting to Redis. */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await run(argv, {}, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

describe('logpipe CLI arguments', () => {
  it('prints the usage for --help and for no command, exit 0', async () => {
    for (const argv of [['--help'], [], ['help']]) {
      expect(await cli(...argv)).toEqual({ status: 0, out: USAGE, err: '' });
    }
  });

  it.each([
    [['nope'], /unknown command "nope"/],
    [['dead', 'frobnicate'], /unknown command "dead frobnicate"/],
    [['dead', 'list', '--limit', '0'], /--limit must be 1 to 10000/],
    [['dead', 'list', '--after', 'x'], /--after must be a dead-letter id/],
    [['dead', 'list', '1-0'], /dead list takes no ids/],
    [['dead', 'show'], /dead show takes one id/],
    [['dead', 'replay'], /ids, --all or --reason R/],
    [['dead', 'replay', '1-0', '--all'], /one of them/],
    [['dead', 'purge', 'abc'], /"abc" is not a dead-letter id/],
    [['dead', 'list', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with exit 2 and the usage', async (argv, message) => {
    const result = await cli(...argv);
    expect(result.status).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).toContain('usage: logpipe');
  });
});

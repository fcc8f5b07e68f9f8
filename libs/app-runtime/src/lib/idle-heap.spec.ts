import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { keepHeapThroughIdleSpells, keepYoungGenerationThroughIdleSpells } from './idle-heap';

const execFileAsync = promisify(execFile);

describe('keepHeapThroughIdleSpells', () => {
  it('turns the memory reducer off when the command line does not name it', () => {
    expect(keepHeapThroughIdleSpells(['--max-old-space-size=192'])).toBe(true);
    expect(keepHeapThroughIdleSpells([])).toBe(true);
  });

  it('leaves it as the command line set it, either way and in either spelling', () => {
    expect(keepHeapThroughIdleSpells(['--memory-reducer'])).toBe(false);
    expect(keepHeapThroughIdleSpells(['--no-memory-reducer'])).toBe(false);
    expect(keepHeapThroughIdleSpells(['--inspect', '--memory_reducer'])).toBe(false);
  });
});

describe('keepYoungGenerationThroughIdleSpells', () => {
  afterEach(() => jest.useRealTimers());

  it('runs one timer until the function it returns stops it', () => {
    jest.useFakeTimers();
    const stop = keepYoungGenerationThroughIdleSpells();
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1000);
    stop();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps no process alive with its timer', () => {
    const setIntervalSpy = jest.spyOn(global, 'setInterval');
    const stop = keepYoungGenerationThroughIdleSpells();
    try {
      const timer = setIntervalSpy.mock.results[0].value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
    } finally {
      stop();
      setIntervalSpy.mockRestore();
    }
  });

  // V8's behaviour itself, in a node of its own (this module loaded through ts-node): a young generation
  // of two 4 MiB semi-spaces and the memory reducer off, as in the apps, a burst that fills it, then 8 s
  // of idling with a scavenge every second (an idle server's timers fill the young generation slowly;
  // here gc() stands in for them).
  const idleYoungGenerationMiB = async (keep: boolean): Promise<number> => {
    const script = `
      const v8 = require('node:v8');
      ${keep ? `require(${JSON.stringify(require.resolve('./idle-heap'))}).keepYoungGenerationThroughIdleSpells();` : ''}
      const burst = []; for (let i = 0; i < 2e6; i++) burst.push({ i }); burst.length = 0;
      setInterval(() => gc({ type: 'minor' }), 1000);
      setTimeout(() => {
        const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
        process.stdout.write(String(space.space_size / 1048576));
        process.exit(0);
      }, 8000);`;
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--max-semi-space-size=4',
        '--min-semi-space-size=4',
        '--no-memory-reducer',
        '--expose-gc',
        '-r',
        'ts-node/register/transpile-only',
        '-e',
        script,
      ],
      {
        timeout: 30_000,
        env: {
          ...process.env,
          TS_NODE_COMPILER_OPTIONS: JSON.stringify({ module: 'commonjs', ignoreDeprecations: '6.0' }),
        },
      },
    );
    const mib = Number(stdout.trim());
    if (!Number.isFinite(mib)) throw new Error(`the child printed ${JSON.stringify(stdout)}`);
    return mib;
  };

  it('keeps both semi-spaces through an idle spell in which V8 gives one back without it', async () => {
    const [without, withKeeper] = await Promise.all([
      idleYoungGenerationMiB(false),
      idleYoungGenerationMiB(true),
    ]);
    expect(without).toBe(4);
    expect(withKeeper).toBe(8);
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { keepYoungGenerationThroughIdleSpells, memoryReducerProblem } from './idle-heap';

const execFileAsync = promisify(execFile);

describe('memoryReducerProblem', () => {
  it('warns, naming the flag and where it goes, when the command line does not name the reducer', () => {
    expect(memoryReducerProblem(['--max-semi-space-size=4'])).toMatch(
      /memory reducer is on.*--no-memory-reducer before the script.*NODE_OPTIONS refuses it/,
    );
    expect(memoryReducerProblem([])).not.toBeNull();
  });

  it('is quiet when the command line turns it off, or keeps it on purpose', () => {
    expect(memoryReducerProblem(['--no-memory-reducer', '--min-semi-space-size=4'])).toBeNull();
    expect(memoryReducerProblem(['--memory_reducer'])).toBeNull();
  });

  // Why the command line and nothing else: V8's behaviour itself, in nodes of their own. A burst grows
  // the old generation (a mark-compact that grows committed memory arms the reducer's 8 s timer), then
  // the node idles well past the timer (15 s; it fired at ~9 s when measured); --trace-gc-verbose
  // prints a "Memory reducer:" line each time the timer runs. The flag set with v8.setFlagsFromString at start, as both apps did until 2026-12-05,
  // leaves the reducer running; on the command line, it never runs.
  const reducerTimerRuns = async (how: 'setFlagsFromString' | 'command line'): Promise<number> => {
    const script = `
      const v8 = require('node:v8');
      ${how === 'setFlagsFromString' ? "v8.setFlagsFromString('--no-memory-reducer');" : ''}
      let held = [];
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 50000; i++) held.push({ i, text: 'entry ' + i });
        if (held.length > 600000) held = held.slice(300000);
      }
      held = [];
      setTimeout(() => process.exit(0), 15000);`;
    const { stdout } = await execFileAsync(
      process.execPath,
      [...(how === 'command line' ? ['--no-memory-reducer'] : []), '--trace-gc-verbose', '-e', script],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout.split('\n').filter((line) => line.includes('Memory reducer:')).length;
  };

  it("is right that only the command line turns V8 11's reducer off", async () => {
    const [setAtRunTime, onCommandLine] = await Promise.all([
      reducerTimerRuns('setFlagsFromString'),
      reducerTimerRuns('command line'),
    ]);
    expect(setAtRunTime).toBeGreaterThan(0);
    expect(onCommandLine).toBe(0);
  }, 60_000);
});

/**
 * Runs `script` in a node of its own (this module loaded through ts-node) with a young generation of two
 * 4 MiB semi-spaces and the memory reducer off, as in the apps (on the command line), and gc() exposed:
 * the MiB it prints.
 */
async function mibPrintedBy(script: string): Promise<number> {
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
}

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
  // of two 4 MiB semi-spaces and the memory reducer off, as in the apps (on the command line), a burst that fills it, then 8 s
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
    return mibPrintedBy(script);
  };

  // Under load a process scavenges every few milliseconds; the keeper's garbage must die young there
  // too, not be promoted and left for mark-compacts (BENCHMARKS.md, 2026-12-06 17:10). Scavenges every
  // 10 ms for 2 s (eight ticks of 480 KiB): what old space gained, in MiB.
  const oldSpaceGainUnderScavengesMiB = async (keep: boolean): Promise<number> => {
    const script = `
      const v8 = require('node:v8');
      const oldUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
      // Loaded (and compiled) in both nodes before the measure starts; started in one.
      const keeper = require(${JSON.stringify(require.resolve('./idle-heap'))});
      gc();
      const start = oldUsed();
      ${keep ? 'keeper.keepYoungGenerationThroughIdleSpells();' : ''}
      setInterval(() => gc({ type: 'minor' }), 10);
      setTimeout(() => {
        process.stdout.write(String((oldUsed() - start) / 1048576));
        process.exit(0);
      }, 2000);`;
    return mibPrintedBy(script);
  };

  it('leaves its arrays to die at the next scavenge, so a loaded process does not promote them', async () => {
    const [without, withKeeper] = await Promise.all([
      oldSpaceGainUnderScavengesMiB(false),
      oldSpaceGainUnderScavengesMiB(true),
    ]);
    // Held until the next tick (as until 2026-12-06), the arrays were promoted: 3.3 MiB over these 2 s.
    expect(withKeeper - without).toBeLessThan(0.5);
  }, 60_000);

  it('keeps both semi-spaces through an idle spell in which V8 gives one back without it', async () => {
    const [without, withKeeper] = await Promise.all([
      idleYoungGenerationMiB(false),
      idleYoungGenerationMiB(true),
    ]);
    expect(without).toBe(4);
    expect(withKeeper).toBe(8);
  }, 60_000);
});

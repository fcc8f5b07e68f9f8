// Command-line options of `npm run bench`, with the full and --quick profiles.
export const USAGE = `usage: npm run bench -- [options]      (node tools/bench/run.mjs)

Starts a private Logpipe stack (tools/stack, state in .bench/stack), measures it, prints a Markdown
table; a full run appends it to BENCHMARKS.md with a chart in docs/bench/. See BENCHMARKS.md.

  --quick                 smoke run (about two minutes after the stack is up): 1 run each, short loads,
                          no reference, nothing appended unless --append
  --runs N                runs per figure (default 3)
  --protocol-rounds N     protocols scenario: rounds of its interleaved variants, each protocol compared
                          with the /api/logs runs just before and after it (default 5; --quick 1)
  --load-seconds S        single-entry and nginx-204 runs (default 10)
  --batch-seconds S       each batch run (default 4)
  --protocol-seconds S    each run of the protocols scenario (default 8; --quick 2)
  --drain-entries N       pre-filled backlog for the worker drain (default 200000)
  --sustained-seconds S   sustained run (default 60)
  --rate N                offered entries/s in the sustained run (default: half the maximum sustained
                          rate measured before it, min(best batch entries/s, drain rows/s))
  --fresh-batch N         entries per request in the sustained run and the search (default 100)
  --search-probes N       search: probe steps (default 4; --quick 3), each --search-probe-seconds
  --search-probe-seconds S  search: length of a probe step (default 20; --quick 5)
  --search-confirms N     search: at most N full-length (--sustained-seconds) steps to confirm the
                          best probe, 15% lower after a failure, stopping at the first pass
                          (default 4, so a search that meets a slow spell still ends with a figure;
                          --quick 1)
  --search-start N        search: first offered rate in entries/s (default: scenario 4's run is the
                          first step when it ran, else half of min(best batch, steady drain), else 5,000)
  --sustained-baseline N  search: today's figure in entries/s (measured on the pre-change commit);
                          the target line is "≥ 1.5× N"
  --sustained-baseline-dir DIR  search: the pre-change build's checkout (made by
                          tools/bench/baseline/prepare.mjs); its search and this build's run in turn,
                          --sustained-rounds times each (its first, ~5–7 min per search), and the
                          target is the median of the paired ratios. Instead of --sustained-baseline
  --sustained-rounds N    search: rounds of the two searches in turn (default 3: the issue's targets
                          are medians of three)
  --sustained-baseline-start N  search: the pre-change build's first offered rate (default: 75% of
                          this build's first step); later rounds start from the round before
  --only LIST             comma list of: ceilings,1,2,floor,3,4,search,protocols,syslog,reference
                          (default: all; floor: node:http in ingest's place, single + json-1000;
                          search: the highest rate at which freshness p99 stays < 1 s for
                          --sustained-seconds, after 4. At the defaults the search adds 4 probes of
                          20 s and one to four 60 s steps, each followed by its drain: ~3–8 min)
  --port-base N           the bench stack's ports N..N+8, nginx 204 ceiling on N+9 (default 8288)
  --state-dir DIR         the bench stack's state dir (default .bench/stack); its data is erased
  --reference / --no-reference   measure ../shared/seed-baseline in the same run (default: on, off with --quick)
  --reference-drain-runs N       worker drain runs of the reference (default 1: it takes ~25 s each)
  --append / --no-append  append the Markdown to BENCHMARKS.md (default: on, off with --quick)
  --keep-stack            leave the bench stack running at the end
  --skip-build            start the stack with the bundles already in dist/
  --drain-timeout S       longest wait for a backlog to drain (default 180)
`;

/** What `--only` can name; a run without it measures them all. */
export const ALL_SCENARIOS = [
  'ceilings',
  '1',
  '2',
  'floor',
  '3',
  '4',
  'search',
  'protocols',
  'syslog',
  'reference',
];

const PROFILES = {
  full: {
    runs: 3,
    protocolRounds: 5,
    loadSeconds: 10,
    batchSeconds: 4,
    protocolSeconds: 8,
    drainEntries: 200000,
    sustainedSeconds: 60,
    searchProbes: 4,
    searchProbeSeconds: 20,
    searchConfirms: 4,
    reference: true,
    append: true,
    redisRequests: 200000,
  },
  quick: {
    runs: 1,
    protocolRounds: 1,
    loadSeconds: 3,
    batchSeconds: 2,
    protocolSeconds: 2,
    drainEntries: 20000,
    sustainedSeconds: 10,
    searchProbes: 3,
    searchProbeSeconds: 5,
    searchConfirms: 1,
    reference: false,
    append: false,
    redisRequests: 50000,
  },
};

const COMMON = {
  singleConnections: 64,
  batchConnections: 16,
  batchSizes: [100, 1000],
  freshBatch: 100,
  freshConnections: 32,
  freshPollMs: 20,
  redisPipeline: 16,
  referenceDrainRuns: 1,
  portBase: 8288,
  stateDir: '.bench/stack',
  keepStack: false,
  skipBuild: false,
  drainTimeoutS: 180,
  rate: null,
  searchStart: null,
  sustainedBaseline: null,
  sustainedBaselineDir: null,
  sustainedRounds: 3,
  sustainedBaselineStart: null,
  only: ALL_SCENARIOS,
};

const NUMERIC = {
  '--runs': 'runs',
  '--protocol-rounds': 'protocolRounds',
  '--load-seconds': 'loadSeconds',
  '--batch-seconds': 'batchSeconds',
  '--protocol-seconds': 'protocolSeconds',
  '--drain-entries': 'drainEntries',
  '--sustained-seconds': 'sustainedSeconds',
  '--rate': 'rate',
  '--fresh-batch': 'freshBatch',
  '--search-probes': 'searchProbes',
  '--search-probe-seconds': 'searchProbeSeconds',
  '--search-confirms': 'searchConfirms',
  '--search-start': 'searchStart',
  '--sustained-baseline': 'sustainedBaseline',
  '--sustained-rounds': 'sustainedRounds',
  '--sustained-baseline-start': 'sustainedBaselineStart',
  '--port-base': 'portBase',
  '--reference-drain-runs': 'referenceDrainRuns',
  '--drain-timeout': 'drainTimeoutS',
};
const PATHS = {
  '--state-dir': 'stateDir',
  '--sustained-baseline-dir': 'sustainedBaselineDir',
};
const BOOLEAN = {
  '--reference': ['reference', true],
  '--no-reference': ['reference', false],
  '--append': ['append', true],
  '--no-append': ['append', false],
  '--keep-stack': ['keepStack', true],
  '--skip-build': ['skipBuild', true],
};

export class UsageError extends Error {}

export function parseOptions(argv) {
  const quick = argv.includes('--quick');
  const opts = { ...COMMON, ...PROFILES[quick ? 'quick' : 'full'], mode: quick ? 'quick' : 'full' };
  for (let i = 0; i < argv.length; i += 1) {
    const [name, inline] = argv[i].split(/=(.*)/s, 2);
    if (name === '--quick') continue;
    if (name === '--help' || name === '-h') return { ...opts, help: true };
    if (Object.hasOwn(BOOLEAN, name)) {
      const [key, value] = BOOLEAN[name];
      opts[key] = value;
      continue;
    }
    if (!Object.hasOwn(NUMERIC, name) && !Object.hasOwn(PATHS, name) && name !== '--only') {
      throw new UsageError(`unknown option ${name}`);
    }
    const value = inline ?? argv[(i += 1)];
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    if (Object.hasOwn(NUMERIC, name)) {
      const number = Number(value);
      if (!Number.isFinite(number) || number <= 0)
        throw new UsageError(`${name} must be a positive number, got "${value}"`);
      opts[NUMERIC[name]] = number;
    } else if (name === '--only') {
      opts.only = value.split(',').map((part) => part.trim());
      const unknown = opts.only.filter((part) => !COMMON.only.includes(part));
      if (unknown.length > 0)
        throw new UsageError(`--only: unknown ${unknown.join(', ')} (known: ${COMMON.only.join(',')})`);
    } else {
      opts[PATHS[name]] = value;
    }
  }
  if (opts.sustainedBaselineDir !== null && opts.sustainedBaseline !== null)
    throw new UsageError(
      'give the pre-change figure either with --sustained-baseline or --sustained-baseline-dir',
    );
  if (!Number.isInteger(opts.sustainedRounds))
    throw new UsageError(`--sustained-rounds must be a whole number, got ${opts.sustainedRounds}`);
  if (opts.drainEntries % 1000 !== 0)
    throw new UsageError('--drain-entries must be a multiple of 1000 (it is sent in batches of 1000)');
  opts.batchVariants = opts.batchSizes.flatMap((size) => [`json-${size}`, `ndjson-gzip-${size}`]);
  return opts;
}

/**
 * The options of a standalone harness whose every option is a positive integer: `flags` maps each flag
 * (`--rounds`) to its key in `defaults`. `--help` prints `usage` and exits; anything else wrong throws a
 * UsageError naming the problem.
 */
export function parsePositiveIntegerOptions(argv, { defaults, flags, usage }) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--help') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const key = flags[argv[i]];
    const value = Number(argv[i + 1]);
    if (key === undefined) throw new UsageError(`unknown option ${argv[i]}\n${usage}`);
    if (!Number.isInteger(value) || value < 1) {
      throw new UsageError(`${argv[i]} must be a positive integer\n${usage}`);
    }
    opts[key] = value;
  }
  return opts;
}

import { keepHeapThroughIdleSpells } from '@logpipe/app-runtime';
import { bootstrap } from './bootstrap';

// First, before the app starts: the heap stays through idle spells (README "Memory").
keepHeapThroughIdleSpells();

bootstrap()
  .then(() => {
    // Node 20's AsyncResource#bind, which Fastify calls for every request body it parses, wraps two
    // accessors in util.deprecate on each call. This was meant to make util.deprecate return at once, but
    // the internal deprecate that AsyncResource uses builds its wrappers whatever noDeprecation says: a
    // --cpu-prof profile on Node 20.20 under single-entry load still shows `deprecate` at ~3% of ingest's
    // CPU with this set (nodejs/node#58218; the v24 line changed this in nodejs/node#59195). What it still does: deprecation warnings
    // are printed while modules load and the app starts, not afterwards. An operator who asked for
    // deprecations to throw or be traced keeps them.
    if (!process.throwDeprecation && !process.traceDeprecation) process.noDeprecation = true;
  })
  .catch((error: unknown) => {
    console.error(
      JSON.stringify({
        level: 'fatal',
        context: 'ingest',
        message: 'ingest failed to start',
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    process.exit(1);
  });

import { bootstrap } from './bootstrap';

bootstrap()
  .then(() => {
    // Node 20's AsyncResource#bind, which Fastify calls for every request body it parses, wraps two
    // accessors in util.deprecate on each call: about 4% of ingest's CPU for single-entry requests in a
    // --cpu-prof profile. util.deprecate returns at once when this is set. It is set only after start-up,
    // so deprecation warnings raised while modules load and the app starts are still printed.
    // An operator who asked for deprecations to throw or be traced keeps them.
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

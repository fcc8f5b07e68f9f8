import { keepRequestObjectsYoung, keepYoungGenerationThroughIdleSpells } from '@logpipe/app-runtime';
import { bootstrap } from './bootstrap';

// First, before the app starts: the young generation stays through idle spells, and V8 does not move
// request objects into the old generation on feedback from a slow warm-up (README "Memory"; the memory
// reducer is off on the command line, and bootstrap warns when it is not).
keepYoungGenerationThroughIdleSpells();
keepRequestObjectsYoung();

bootstrap().catch((error: unknown) => {
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

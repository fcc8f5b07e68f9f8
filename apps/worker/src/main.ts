import { keepYoungGenerationThroughIdleSpells } from '@logpipe/app-runtime';
import { bootstrap } from './bootstrap';

// First, before the app starts: the young generation stays through idle spells (README "Memory"; the
// memory reducer is off on the command line, and bootstrap warns when it is not).
keepYoungGenerationThroughIdleSpells();

bootstrap().catch((error: unknown) => {
  console.error(
    JSON.stringify({
      level: 'fatal',
      context: 'worker',
      message: 'worker failed to start',
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  process.exit(1);
});

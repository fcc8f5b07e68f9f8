import { keepHeapThroughIdleSpells, keepYoungGenerationThroughIdleSpells } from '@logpipe/app-runtime';
import { bootstrap } from './bootstrap';

// First, before the app starts: the heap and the young generation stay through idle spells (README "Memory").
keepHeapThroughIdleSpells();
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

import { keepHeapThroughIdleSpells } from '@logpipe/app-runtime';
import { bootstrap } from './bootstrap';

// First, before the app starts: the heap stays through idle spells (README "Memory").
keepHeapThroughIdleSpells();

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

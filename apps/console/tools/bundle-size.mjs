// Prints the gzipped size of the built JavaScript and fails the build past the budget (150 KB).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const JS_BUDGET_BYTES = 150 * 1024;

export function measure(dir) {
  const files = readdirSync(join(dir, 'assets')).filter((name) => name.endsWith('.js'));
  const sizes = files.map((name) => {
    const bytes = readFileSync(join(dir, 'assets', name));
    return { name, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { sizes, gzip: sizes.reduce((sum, s) => sum + s.gzip, 0) };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const dir = process.argv[2] ?? 'dist/apps/console';
  const { sizes, gzip } = measure(dir);
  for (const s of sizes)
    console.log(`${s.name}: ${(s.raw / 1024).toFixed(1)} KB, ${(s.gzip / 1024).toFixed(1)} KB gzipped`);
  console.log(
    `console JS total: ${(gzip / 1024).toFixed(1)} KB gzipped (budget ${JS_BUDGET_BYTES / 1024} KB)`,
  );
  if (gzip > JS_BUDGET_BYTES) {
    console.error('over the JS budget');
    process.exit(1);
  }
}

// The external programs the bench drives. wrk is installed through apt-get when missing (as root), the
// way tools/stack installs nginx; redis-benchmark and psql come with the stack's Redis and PostgreSQL.
import { spawnSync } from 'node:child_process';

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

export function ensureTools(say) {
  if (!onPath('wrk')) {
    if (process.getuid?.() !== 0) throw new Error('wrk is missing: apt-get install wrk (as root)');
    say('installing wrk (apt-get install wrk)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'wrk'], {
      env,
      stdio: 'inherit',
    });
    if (result.status !== 0) {
      spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'inherit' });
      result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'wrk'], {
        env,
        stdio: 'inherit',
      });
    }
    if (result.status !== 0) throw new Error('apt-get install wrk failed');
  }
  const missing = ['redis-benchmark', 'psql', 'nginx'].filter((command) => !onPath(command));
  if (missing.length > 0) throw new Error(`missing: ${missing.join(', ')} (npm run stack installs them)`);
}

/** rsvg-convert, when present, also turns the chart into a PNG (optional: librsvg2-bin). */
export function svgToPng(svgFile, pngFile) {
  if (!onPath('rsvg-convert')) return false;
  return spawnSync('rsvg-convert', ['-o', pngFile, svgFile]).status === 0;
}

import { getHeapStatistics } from 'node:v8';
import { keepRequestObjectsYoung } from './pretenuring';

describe('keepRequestObjectsYoung', () => {
  it('turns pretenuring off when the command line does not name it', () => {
    expect(keepRequestObjectsYoung(['--max-old-space-size=192'])).toBe(true);
    expect(keepRequestObjectsYoung([])).toBe(true);
    // V8 took the flag: the heap still works (a failed flag would have thrown or aborted).
    expect(getHeapStatistics().used_heap_size).toBeGreaterThan(0);
  });

  it('leaves it as the command line set it, either way and in either spelling', () => {
    expect(keepRequestObjectsYoung(['--allocation-site-pretenuring'])).toBe(false);
    expect(keepRequestObjectsYoung(['--no-allocation-site-pretenuring'])).toBe(false);
    expect(keepRequestObjectsYoung(['--inspect', '--allocation_site_pretenuring'])).toBe(false);
    expect(keepRequestObjectsYoung(['--no-allocation_site-pretenuring'])).toBe(false);
  });
});

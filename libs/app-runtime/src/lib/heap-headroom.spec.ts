import { heapHeadroomProblem } from './heap-headroom';

const MiB = 1_048_576;
const words = { holds: 'the things held at once can take', risk: 'they could exhaust it' };

describe('heapHeadroomProblem', () => {
  it('is null when the worst case fits the heap limit, up to the limit itself', () => {
    expect(heapHeadroomProblem(100 * MiB, 200 * MiB, words)).toBeNull();
    expect(heapHeadroomProblem(200 * MiB, 200 * MiB, words)).toBeNull();
  });

  it('gives both sizes in MiB, what takes the room, the risk and the remedy when it does not', () => {
    expect(heapHeadroomProblem(300 * MiB, 200 * MiB, words)).toBe(
      'the V8 heap limit (200 MiB) is below ~300 MiB, what the things held at once can take; they could ' +
        'exhaust it. Raise --max-old-space-size in NODE_OPTIONS or lower those settings.',
    );
  });
});

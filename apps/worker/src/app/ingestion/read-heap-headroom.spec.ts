import { readHeapProblem } from './read-heap-headroom';

const MiB = 1_048_576;

describe('readHeapProblem', () => {
  it('is null for the defaults under the heap cap the stack sets (256 MiB old space)', () => {
    expect(readHeapProblem(4 * MiB, 3, 260 * MiB)).toBeNull();
    // The largest MAX_BATCHES_IN_FLIGHT fits too.
    expect(readHeapProblem(4 * MiB, 8, 260 * MiB)).toBeNull();
  });

  it('names both settings and the remedy when the reads held at once could exhaust the heap', () => {
    expect(readHeapProblem(64 * MiB, 3, 260 * MiB)).toMatch(
      /heap limit \(260 MiB\) is below ~1024 MiB.*MAX_BATCHES_IN_FLIGHT \+ 1 reads of READ_MAX_BYTES.*--max-old-space-size/,
    );
  });
});

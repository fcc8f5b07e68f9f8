import { LOG_WRITE_LANES } from '@logpipe/log-store';
import { WriteLanePool } from './write-lane-pool';

describe('WriteLanePool', () => {
  it('gives batches in flight together different lanes, then shares the least used', () => {
    const pool = new WriteLanePool(3);
    expect([pool.take(), pool.take(), pool.take()]).toEqual([0, 1, 2]);
    expect(pool.take()).toBe(0);
    pool.release(1);
    expect(pool.take()).toBe(1);
  });

  it('hands a lane back when the store settles, also when it fails', async () => {
    const pool = new WriteLanePool(2);
    await expect(pool.with(async (lane) => lane)).resolves.toBe(0);
    await expect(
      pool.with(async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(pool.take()).toBe(0);
    expect(pool.take()).toBe(1);
  });

  it('refuses a lane given back that was not taken', () => {
    expect(() => new WriteLanePool().release(0)).toThrow('released more often than taken');
  });

  it('uses the store lanes by default', () => {
    const pool = new WriteLanePool();
    const lanes = Array.from({ length: LOG_WRITE_LANES }, () => pool.take());
    expect(new Set(lanes).size).toBe(LOG_WRITE_LANES);
  });
});

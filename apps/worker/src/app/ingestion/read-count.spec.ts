import { ReadCount } from './read-count';

describe('ReadCount', () => {
  it('reads BATCH_SIZE single-entry messages once it has seen them', () => {
    const count = new ReadCount(1000);
    expect(count.value).toBe(10);
    for (let i = 0; i < 60; i++) count.observe(count.value, count.value, 1);
    expect(count.value).toBe(1000);
  });

  it('reads about BATCH_SIZE entries of chunks', () => {
    const count = new ReadCount(1000);
    for (let i = 0; i < 20; i++) count.observe(count.value, count.value * 500, 500);
    expect(count.value).toBe(2);
  });

  it('after chunks, grows back slowly, so a read holds at most MAX_OVERSHOOT batches of the largest chunk seen lately', () => {
    const count = new ReadCount(1000);
    count.observe(2, 1000, 500);
    count.observe(2, 2, 1);
    expect(count.value).toBeLessThanOrEqual(Math.floor((10 * 1000) / 450));
    for (let i = 0; i < 100; i++) count.observe(count.value, count.value, 1);
    expect(count.value).toBe(1000);
  });
});

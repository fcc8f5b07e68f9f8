import { BodyFramePool, FRAME_ROOM_AFTER, FRAME_ROOM_BEFORE, FrameLease, joinIntoFrame } from './body-frames';

const LARGE = 300 * 1024;

describe('BodyFramePool', () => {
  it('gives a released frame to the next body of its size class, and never one still in use', () => {
    const pool = new BodyFramePool(8 * 1024 * 1024);
    const first = pool.frame(LARGE);
    const second = pool.frame(LARGE);
    expect(second.bytes.buffer).not.toBe(first.bytes.buffer);
    // Power-of-two sizes: a 300 KiB body with its room takes 512 KiB, as does any body up to that.
    expect(first.bytes.length).toBe(512 * 1024);
    first.release();
    const third = pool.frame(400 * 1024);
    expect(third.bytes.buffer).toBe(first.bytes.buffer);
    // first's bytes are third's now, and second's are still second's.
    expect(pool.frame(LARGE).bytes.buffer).not.toBe(second.bytes.buffer);
  });

  it('ignores a second release of the same frame, so two bodies can never share its bytes', () => {
    const pool = new BodyFramePool(8 * 1024 * 1024);
    const frame = pool.frame(LARGE);
    frame.release();
    frame.release();
    const a = pool.frame(LARGE);
    const b = pool.frame(LARGE);
    expect(a.bytes.buffer).toBe(frame.bytes.buffer);
    expect(b.bytes.buffer).not.toBe(frame.bytes.buffer);
  });

  it('keeps at most maxPooledBytes of released frames', () => {
    const pool = new BodyFramePool(1024 * 1024);
    const frames = [pool.frame(LARGE), pool.frame(LARGE), pool.frame(LARGE)];
    frames.forEach((frame) => frame.release());
    // Two 512 KiB frames fit the bound; the third was left to the collector.
    const released = frames.map((frame) => frame.bytes.buffer);
    const again = [pool.frame(LARGE), pool.frame(LARGE), pool.frame(LARGE)].map((f) => f.bytes.buffer);
    expect(released).toContain(again[0]);
    expect(released).toContain(again[1]);
    expect(again[1]).not.toBe(again[0]);
    expect(released).not.toContain(again[2]);
  });

  it('gives a small body a frame of its own size, never pooled', () => {
    const pool = new BodyFramePool(8 * 1024 * 1024);
    const small = pool.frame(300);
    expect(small.bytes.length).toBe(FRAME_ROOM_BEFORE + 300 + FRAME_ROOM_AFTER);
    small.release();
    expect(pool.frame(300).bytes.buffer).not.toBe(small.bytes.buffer);
  });
});

describe('joinIntoFrame', () => {
  it('copies the chunks in order after the room, into a pooled frame when given a pool', () => {
    const chunks = [Buffer.from('[{"a":1},'), Buffer.alloc(LARGE, 0x20), Buffer.from('{"b":2}]')];
    const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    const pool = new BodyFramePool(8 * 1024 * 1024);
    for (const framed of [joinIntoFrame(chunks, length), joinIntoFrame(chunks, length, pool)]) {
      expect(framed.body).toEqual(Buffer.concat(chunks));
      expect(framed.body.buffer).toBe(framed.frame.bytes.buffer);
      expect(framed.body.byteOffset - framed.frame.bytes.byteOffset).toBe(FRAME_ROOM_BEFORE);
    }
    expect(() => joinIntoFrame(chunks, length - 1)).toThrow(RangeError);
  });
});

describe('FrameLease', () => {
  it('hands out exactly sized views of pooled frames and gives them all back at once', () => {
    const pool = new BodyFramePool(8 * 1024 * 1024);
    const lease = new FrameLease(pool);
    const values = [lease.take(LARGE), lease.take(LARGE + 1), lease.take(100)];
    expect(values.map((value) => value.length)).toEqual([LARGE, LARGE + 1, 100]);
    const pooled = values.slice(0, 2).map((value) => value.buffer);
    // Before release, the pool has none of them to give.
    expect(pooled).not.toContain(pool.take(LARGE).bytes.buffer);
    lease.release();
    lease.release();
    const again = [pool.take(LARGE), pool.take(LARGE)].map((frame) => frame.bytes.buffer);
    expect(again).toContain(pooled[0]);
    expect(again).toContain(pooled[1]);
    expect(again[0]).not.toBe(again[1]);
  });
});

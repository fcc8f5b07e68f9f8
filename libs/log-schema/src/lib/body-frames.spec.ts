import {
  BodyFramePool,
  BodyFrameWriter,
  firstFrameBodyBytes,
  FRAME_ROOM_AFTER,
  FRAME_ROOM_BEFORE,
  FrameLease,
} from './body-frames';

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

describe('BodyFrameWriter', () => {
  const chunks = [Buffer.from('[{"a":1},'), Buffer.alloc(LARGE, 0x20), Buffer.from('{"b":2}]')];
  const length = chunks.reduce((sum, chunk) => sum + chunk.length, 0);

  it('copies the chunks in order after the room, into one frame of the expected length, pooled when given a pool', () => {
    const pool = new BodyFramePool(8 * 1024 * 1024);
    for (const writer of [new BodyFrameWriter(length), new BodyFrameWriter(length, pool)]) {
      for (const chunk of chunks) writer.write(chunk);
      const framed = writer.finish();
      expect(framed.body).toEqual(Buffer.concat(chunks));
      expect(framed.body.buffer).toBe(framed.frame.bytes.buffer);
      expect(framed.body.byteOffset - framed.frame.bytes.byteOffset).toBe(FRAME_ROOM_BEFORE);
      expect(framed.frame.bytes.length).toBeGreaterThanOrEqual(FRAME_ROOM_BEFORE + length + FRAME_ROOM_AFTER);
    }
    // Without a pool, a frame is exactly the body and its room.
    const exact = new BodyFrameWriter(length);
    chunks.forEach((chunk) => exact.write(chunk));
    expect(exact.finish().frame.bytes.length).toBe(FRAME_ROOM_BEFORE + length + FRAME_ROOM_AFTER);
  });

  it('moves to a frame twice the size when the guess was short, keeps the bytes, and gives the outgrown frame back', () => {
    const pool = new BodyFramePool(8 * 1024 * 1024);
    // The pool's one 128 KiB frame: the writer's first, for a guess of 100 KiB.
    const small = pool.frame(100 * 1024);
    small.release();
    const writer = new BodyFrameWriter(100 * 1024, pool);
    writer.write(Buffer.alloc(100 * 1024, 0x61));
    writer.write(Buffer.alloc(100 * 1024, 0x62));
    const framed = writer.finish();
    expect(framed.body).toEqual(
      Buffer.concat([Buffer.alloc(100 * 1024, 0x61), Buffer.alloc(100 * 1024, 0x62)]),
    );
    expect(writer.length).toBe(200 * 1024);
    expect(framed.frame.bytes.length).toBe(256 * 1024);
    // The 128 KiB frame it outgrew is the pool's again.
    expect(framed.frame.bytes.buffer).not.toBe(small.bytes.buffer);
    expect(pool.frame(100 * 1024).bytes.buffer).toBe(small.bytes.buffer);
  });

  it('gives its frame back when the body is discarded', () => {
    const pool = new BodyFramePool(8 * 1024 * 1024);
    const pooled = pool.frame(LARGE);
    pooled.release();
    const writer = new BodyFrameWriter(LARGE, pool);
    writer.write(chunks[0]);
    // The writer holds the pool's frame until it lets go of the body.
    expect(pool.frame(LARGE).bytes.buffer).not.toBe(pooled.bytes.buffer);
    writer.discard();
    expect(pool.frame(LARGE).bytes.buffer).toBe(pooled.bytes.buffer);
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

describe('firstFrameBodyBytes', () => {
  const MiB = 1024 * 1024;
  const room = FRAME_ROOM_BEFORE + FRAME_ROOM_AFTER;

  it('takes the Content-Length, 8 times it for gzip, within 1 MiB of frame and the limit', () => {
    expect(firstFrameBodyBytes(300_000, false, 5 * MiB)).toBe(300_000);
    expect(firstFrameBodyBytes(50_000, true, 5 * MiB)).toBe(400_000);
    expect(firstFrameBodyBytes(3 * MiB, false, 5 * MiB)).toBe(MiB - room);
    expect(firstFrameBodyBytes(300_000, true, 5 * MiB)).toBe(MiB - room);
    expect(firstFrameBodyBytes(300_000, false, 100_000)).toBe(100_000);
  });

  it('guesses a 64 KiB frame for a body of unknown length, so a pooled frame is exactly that', () => {
    expect(firstFrameBodyBytes(Number.NaN, false, 5 * MiB)).toBe(64 * 1024 - room);
    expect(new BodyFramePool(MiB).frame(firstFrameBodyBytes(Number.NaN, true, 5 * MiB)).bytes.length).toBe(
      64 * 1024,
    );
  });
});

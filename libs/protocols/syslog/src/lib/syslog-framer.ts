// RFC 6587 framing of a syslog byte stream (TCP or TLS), one framer per connection.
//
// Two framings exist in the wild and senders do not announce which one they use:
//   - octet counting (RFC 6587 3.4.1, RFC 5425): `MSG-LEN SP SYSLOG-MSG`, e.g. `17 <13>1 - - - - - - hi`;
//   - non-transparent framing (RFC 6587 3.4.2): the message ends at LF (a trailing CR is dropped).
// A message always begins with `<`, a length always with a digit, so the first byte of each frame decides.
// Deciding per frame (not once per connection) costs nothing and also reads a sender that switches,
// which rsyslog's own imtcp tolerates too.
//
// Memory: the framer holds at most one partial frame, never more than the configured limit. A frame
// over the limit is skipped as it streams past (counted, never buffered), so a sender that announces
// a gigabyte or never sends a newline costs at most `maxMessageBytes`/`maxLineBytes`.

export interface SyslogFramerLimits {
  /** Largest octet-counted frame accepted, in bytes (MSG-LEN above it: the frame is skipped). */
  readonly maxMessageBytes: number;
  /** Longest newline-terminated frame accepted, in bytes without the LF (longer: skipped up to the next LF). */
  readonly maxLineBytes: number;
}

export type SyslogFramingProblem =
  /** MSG-LEN above maxMessageBytes: the announced bytes were skipped. */
  | 'octet-count-too-large'
  /** A newline-framed line longer than maxLineBytes: skipped up to its LF. */
  | 'line-too-long'
  /** The connection ended inside an octet-counted frame (fewer bytes than announced). */
  | 'incomplete-frame';

export type SyslogFrameEvent =
  | { readonly kind: 'frame'; readonly frame: Buffer }
  | { readonly kind: 'refused'; readonly problem: SyslogFramingProblem; readonly bytes: number };

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const SP = 0x20;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Ten digits: more than any sane limit, and small enough that the number stays exact. */
const MAX_LENGTH_DIGITS = 10;

type State =
  /** Between frames: skipping LF/CR/NUL padding, waiting for the first byte of the next frame. */
  | { readonly name: 'idle' }
  /** Reading the digits of MSG-LEN (kept in `head`, so they can still become a line if no SP follows). */
  | { readonly name: 'length' }
  /** Inside an octet-counted frame: `remaining` bytes still to come. */
  | { readonly name: 'counted'; remaining: number }
  /** Skipping `remaining` bytes of an octet-counted frame over the limit. */
  | { readonly name: 'skip-counted'; remaining: number }
  /** Inside a newline-terminated frame. */
  | { readonly name: 'line' }
  /** Skipping a line over the limit up to its LF. */
  | { readonly name: 'skip-line'; skipped: number };

// The states without data of their own are shared, not allocated once per frame.
const IDLE: State = { name: 'idle' };
const LENGTH: State = { name: 'length' };
const LINE: State = { name: 'line' };

function isDigit(byte: number): boolean {
  return byte >= DIGIT_0 && byte <= DIGIT_9;
}

export class SyslogFramer {
  private state: State = IDLE;
  /**
   * Bytes of the frame being read, in arrival order: views of the chunks, joined only when a frame spans
   * chunks. A frame within one chunk is a view of it (no copy per message): the caller decodes each
   * frame as it gets it, so no frame outlives its chunk by long.
   */
  private parts: Buffer[] = [];
  private partBytes = 0;

  constructor(private readonly limits: SyslogFramerLimits) {}

  /** Bytes held for a frame that is not complete yet (0 between frames): what a stalled sender costs. */
  get pendingBytes(): number {
    return this.partBytes;
  }

  /** Whether the stream stopped in the middle of a frame (for the partial-frame timeout). */
  get inFrame(): boolean {
    return this.state.name !== 'idle';
  }

  /** Feeds the next chunk of the stream; returns the frames (and refusals) it completed, in order. */
  push(chunk: Buffer): SyslogFrameEvent[] {
    const events: SyslogFrameEvent[] = [];
    let at = 0;
    while (at < chunk.length) {
      at = this.step(chunk, at, events);
    }
    return events;
  }

  /**
   * The stream ended. A newline-framed message without its final LF is still a message (many senders
   * omit the last one); an octet-counted frame cut short is refused.
   */
  end(): SyslogFrameEvent[] {
    const events: SyslogFrameEvent[] = [];
    const state = this.state;
    if (state.name === 'line' || state.name === 'length') {
      this.emitLine(events);
    } else if (state.name === 'counted') {
      events.push({ kind: 'refused', problem: 'incomplete-frame', bytes: this.partBytes });
    } else if (state.name === 'skip-line') {
      events.push({ kind: 'refused', problem: 'line-too-long', bytes: state.skipped });
    }
    this.reset();
    return events;
  }

  private reset(): void {
    this.state = IDLE;
    this.parts = [];
    this.partBytes = 0;
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    this.parts.push(part);
    this.partBytes += part.length;
  }

  private take(): Buffer {
    const frame = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partBytes);
    this.reset();
    return frame;
  }

  private emitLine(events: SyslogFrameEvent[]): void {
    let frame = this.take();
    if (frame.length > 0 && frame[frame.length - 1] === CR) frame = frame.subarray(0, frame.length - 1);
    if (frame.length > 0) events.push({ kind: 'frame', frame });
  }

  /** Consumes bytes of `chunk` from `at` for the current state; returns where the next step starts. */
  private step(chunk: Buffer, at: number, events: SyslogFrameEvent[]): number {
    const state = this.state;
    switch (state.name) {
      case 'idle': {
        const byte = chunk[at];
        if (byte === LF || byte === CR || byte === NUL || byte === SP) return at + 1;
        this.state = isDigit(byte) ? LENGTH : LINE;
        return at;
      }
      case 'length':
        return this.stepLength(chunk, at, events);
      case 'counted': {
        const end = Math.min(chunk.length, at + state.remaining);
        this.keep(chunk.subarray(at, end));
        state.remaining -= end - at;
        if (state.remaining === 0) events.push({ kind: 'frame', frame: this.take() });
        return end;
      }
      case 'skip-counted': {
        const end = Math.min(chunk.length, at + state.remaining);
        state.remaining -= end - at;
        if (state.remaining === 0) this.reset();
        return end;
      }
      case 'line': {
        const newline = chunk.indexOf(LF, at);
        const end = newline === -1 ? chunk.length : newline;
        if (this.partBytes + (end - at) > this.limits.maxLineBytes) {
          const skipped = this.partBytes + (end - at);
          this.parts = [];
          this.partBytes = 0;
          if (newline === -1) {
            this.state = { name: 'skip-line', skipped };
            return end;
          }
          events.push({ kind: 'refused', problem: 'line-too-long', bytes: skipped });
          this.reset();
          return newline + 1;
        }
        this.keep(chunk.subarray(at, end));
        if (newline === -1) return end;
        this.emitLine(events);
        return newline + 1;
      }
      case 'skip-line': {
        const newline = chunk.indexOf(LF, at);
        if (newline === -1) {
          state.skipped += chunk.length - at;
          return chunk.length;
        }
        events.push({ kind: 'refused', problem: 'line-too-long', bytes: state.skipped + (newline - at) });
        this.reset();
        return newline + 1;
      }
    }
  }

  /**
   * Digits so far are in `parts`. A SP after 1-10 digits (no leading zero) makes them MSG-LEN;
   * anything else means this frame was a line that happens to start with a digit.
   */
  private stepLength(chunk: Buffer, at: number, events: SyslogFrameEvent[]): number {
    let i = at;
    while (i < chunk.length && isDigit(chunk[i]) && this.partBytes + (i - at) < MAX_LENGTH_DIGITS) i += 1;
    this.keep(chunk.subarray(at, i));
    if (i === chunk.length) return i;
    // `parts` holds only digits (at most MAX_LENGTH_DIGITS): read them as a number without a string.
    let length = 0;
    let first = -1;
    for (const part of this.parts) {
      for (let d = 0; d < part.length; d++) {
        if (first === -1) first = part[d];
        length = length * 10 + (part[d] - DIGIT_0);
      }
    }
    if (chunk[i] !== SP || first === DIGIT_0 || first === -1) {
      this.state = LINE;
      return i;
    }
    this.parts = [];
    this.partBytes = 0;
    if (length > this.limits.maxMessageBytes) {
      this.state = { name: 'skip-counted', remaining: length };
      events.push({ kind: 'refused', problem: 'octet-count-too-large', bytes: length });
    } else {
      this.state = { name: 'counted', remaining: length };
    }
    return i + 1;
  }
}

// The syslog TCP scenario's messages: octet-counted RFC 5424 frames (RFC 6587) as rsyslog's omfwd
// sends them with TCP_Framing="octet-counted", small as devices' messages are. The sender
// (tools/bench/lib/syslog-sender.mjs) writes them, and tools/bench/protocol-cost.mjs feeds the same
// frames to ingest's framer in 64 KiB reads: what Node reads at once from a socket whose receive buffer
// filled while ingest was queuing the previous batch (the case under load).

/** One message of connection `connection`, number `count`. */
export function syslogMessage(connection, count) {
  return `<14>1 2026-11-29T12:00:00.000Z bench-host bench ${connection} - - syslog bench message ${count} from connection ${connection} with a realistic length of text`;
}

/** Frames of `connection` up to about `targetBytes`: one write of the sender. */
export function chunkOfFrames(connection, targetBytes = 64 * 1024) {
  const frames = [];
  let bytes = 0;
  let count = 0;
  while (bytes < targetBytes) {
    const message = syslogMessage(connection, count);
    const frame = `${Buffer.byteLength(message)} ${message}`;
    frames.push(frame);
    bytes += Buffer.byteLength(frame);
    count += 1;
  }
  return { chunk: Buffer.from(frames.join('')), count };
}

/** Messages the cost harness sends per "request", like the 1,000 entries of the HTTP variants. */
export const SYSLOG_MESSAGES = 1000;

/** SYSLOG_MESSAGES frames of connection 0, cut into `chunkBytes` pieces as TCP reads deliver them. */
export function makeSyslogChunks(chunkBytes = 64 * 1024) {
  const frames = [];
  for (let i = 0; i < SYSLOG_MESSAGES; i++) {
    const message = syslogMessage(0, i);
    frames.push(`${Buffer.byteLength(message)} ${message}`);
  }
  const stream = Buffer.from(frames.join(''));
  const chunks = [];
  for (let at = 0; at < stream.length; at += chunkBytes) chunks.push(stream.subarray(at, at + chunkBytes));
  return chunks;
}

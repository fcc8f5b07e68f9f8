#!/usr/bin/env node
// Load generator of the syslog TCP scenario, run as its own process (so its CPU is the load
// generator's, as wrk's is): `node syslog-sender.mjs <host:port> <connections> <seconds> <max messages>`. Each
// connection writes octet-counted RFC 5424 messages (RFC 6587) as fast as TCP lets it: a write that the
// socket does not take at once waits for 'drain', so ingest's flow control (it stops reading while the
// backlog is over its high-water mark) slows the sender exactly as it would slow rsyslog. Prints one
// JSON line: messages written, seconds, messages/s.
import { connect } from 'node:net';
import { chunkOfFrames } from '../payloads/syslog-tcp.mjs';

const [address, connectionsArg, secondsArg, maxArg] = process.argv.slice(2);
const [host, port] = address.split(':');
const connections = Number(connectionsArg);
const durationMs = Number(secondsArg) * 1000;
// Loopback and nginx buffer hundreds of thousands of messages ahead of ingest; a cap keeps the run short.
const maxPerConnection = Math.ceil(Number(maxArg) / connections);

// ~64 KiB of frames per write (chunkOfFrames): small messages, as devices send them.

function runConnection(index, deadline) {
  return new Promise((resolve, reject) => {
    const { chunk, count } = chunkOfFrames(index);
    let sent = 0;
    const socket = connect(Number(port), host);
    socket.once('error', reject);
    const pump = () => {
      while (Date.now() < deadline && sent < maxPerConnection) {
        sent += count;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end(() => resolve(sent));
    };
    socket.once('connect', pump);
  });
}

const started = Date.now();
const sent = await Promise.all(
  Array.from({ length: connections }, (_, i) => runConnection(i, started + durationMs)),
);
const durationS = (Date.now() - started) / 1000;
const total = sent.reduce((sum, value) => sum + value, 0);
process.stdout.write(`${JSON.stringify({ ok: total, durationS, rps: total / durationS })}\n`);

import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Opens a TCP connection to 127.0.0.1:port. */
export function openTcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `data` and closes the connection once the peer has it all (or it was closed). */
export async function sendTcp(port: number, data: string | Buffer): Promise<void> {
  const socket = await openTcp(port);
  await new Promise<void>((resolve) => {
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.end(data);
  });
}

/** `<len> <msg>` for each message (RFC 6587 octet counting). */
export function octetCounted(messages: readonly string[]): string {
  return messages.map((message) => `${Buffer.byteLength(message)} ${message}`).join('');
}

/**
 * One datagram per message to 127.0.0.1:port, `perTick` at a time with a short pause between groups
 * (0: no pause), so "light load" means light.
 */
export async function sendUdp(
  port: number,
  messages: readonly string[],
  perTick = 20,
  pauseMs = 5,
): Promise<void> {
  const socket = createSocket('udp4');
  try {
    for (let i = 0; i < messages.length; i += 1) {
      await new Promise<void>((resolve, reject) =>
        socket.send(messages[i], port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
      );
      if (pauseMs > 0 && (i + 1) % perTick === 0) await sleep(pauseMs);
    }
  } finally {
    socket.close();
  }
}

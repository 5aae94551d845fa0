/**
 * Raw HTTP exchanges for hostile-client tests: bytes no client library would
 * send (malformed request lines, NULs, dribbled or never-finished requests).
 */
import net from 'node:net';
import tls from 'node:tls';

/** A server on loopback; TLS when `ca` (the CA that signed its certificate for 127.0.0.1) is given. */
export interface RawTarget {
  port: number;
  ca?: Buffer;
}

/** Safety net only: the servers under test close any connection long before. */
const EXCHANGE_DEADLINE_MS = 60_000;

/** A connection, once established (the TLS handshake done). */
export function openRaw(target: RawTarget): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = target.ca
      ? tls.connect({ host: '127.0.0.1', port: target.port, ca: target.ca }, () => resolve(socket))
      : net.connect({ host: '127.0.0.1', port: target.port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves when `socket` is closed, by either side. */
export function closed(socket: net.Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/**
 * Sends `chunks` (latin1, so `\xff` is one byte) one write each, `gapMs` apart when given, then
 * half-closes, so a server waiting for the rest of a request learns there is none. Resolves the
 * status of the first final response, or undefined when the server closed or reset the connection
 * without one.
 */
export async function rawExchange(target: RawTarget, chunks: ReadonlyArray<string | Buffer>, options: { gapMs?: number } = {}): Promise<number | undefined> {
  const socket = await openRaw(target);
  socket.on('error', () => undefined); // a reset is an outcome here: the connection closes without a status
  let received = '';
  let timer: NodeJS.Timeout | undefined;
  const status = new Promise<number | undefined>((resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer and no close within ${EXCHANGE_DEADLINE_MS} ms after ${JSON.stringify(chunks.join('').slice(0, 80))}`)),
      EXCHANGE_DEADLINE_MS,
    );
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      // Past interim responses (100 Continue) to the final one.
      const m = /^(?:HTTP\/1\.[01] 1\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n)*HTTP\/1\.[01] ([2-9]\d\d) /.exec(received);
      if (m) resolve(Number(m[1]));
    });
    socket.once('close', () => resolve(undefined));
  });
  for (const [i, chunk] of chunks.entries()) {
    if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
    if (socket.destroyed) break;
    socket.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  }
  if (!socket.destroyed) socket.end();
  try {
    return await status;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

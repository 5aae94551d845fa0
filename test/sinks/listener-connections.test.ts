/**
 * The listener's connection cap on a bare HTTP server: which connection makes
 * room for a new one. The listener under hostile clients is in
 * test/sinks/listener-hostile.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { createLogger } from '../../src/log.ts';
import { ConnectionCap } from '../../src/sinks/listener-connections.ts';
import { openRaw, rawExchange } from '../helpers/raw-http.ts';
import { waitFor } from '../helpers/wait.ts';

/** A server capped at `max` whose answers to /hold wait until released. */
async function cappedServer(t: { after(fn: () => Promise<void>): void }, max: number): Promise<{ port: number; held: ServerResponse[] }> {
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => (req.url === '/hold' ? held.push(res) : res.end('ok\n')));
  new ConnectionCap(server, max, createLogger());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, held };
}

async function connect(port: number, sockets: Socket[]): Promise<Socket> {
  const s = await openRaw({ port });
  s.on('error', () => undefined);
  sockets.push(s);
  return s;
}

/** A request on an open connection answered, i.e. the server kept it. */
async function answersOn(s: Socket): Promise<boolean> {
  const reply = new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
  s.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
  return /^HTTP\/1\.1 200 /.test(await reply);
}

test('at the cap a new connection closes the one waiting longest without a request; one being answered keeps its place', async (t) => {
  const { port, held } = await cappedServer(t, 3);
  const sockets: Socket[] = [];
  t.after(() => sockets.forEach((s) => s.destroy()));
  const answering = await connect(port, sockets);
  answering.write('GET /hold HTTP/1.1\r\nhost: x\r\n\r\n');
  await waitFor('the held request', () => held.length === 1);
  const idleOlder = await connect(port, sockets);
  const idleNewer = await connect(port, sockets);

  assert.equal(await rawExchange({ port }, ['GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n']), 200, 'the new client is served');
  await waitFor('the older idle connection closed', () => idleOlder.closed, { timeoutMs: 30_000 });
  assert.equal(await answersOn(idleNewer), true, 'a newer idle connection is kept');
  held[0]!.end('released\n');
  assert.match(
    await new Promise<string>((resolve) => answering.once('data', (d: Buffer) => resolve(d.toString()))),
    /^HTTP\/1\.1 200 /,
    'the answer in progress is completed',
  );
});

test('when every connection is being answered, the new one is closed and the others complete', async (t) => {
  const { port, held } = await cappedServer(t, 2);
  const sockets: Socket[] = [];
  t.after(() => sockets.forEach((s) => s.destroy()));
  const replies: Array<Promise<string>> = [];
  for (let i = 0; i < 2; i++) {
    const s = await connect(port, sockets);
    replies.push(new Promise((resolve) => s.once('data', (d: Buffer) => resolve(d.toString()))));
    s.write('GET /hold HTTP/1.1\r\nhost: x\r\n\r\n');
  }
  await waitFor('both held requests', () => held.length === 2);
  assert.equal(await rawExchange({ port }, ['GET / HTTP/1.1\r\nhost: x\r\n\r\n']), undefined, 'closed without an answer');
  for (const res of held) res.end('released\n');
  for (const reply of replies) assert.match(await reply, /^HTTP\/1\.1 200 /);
});

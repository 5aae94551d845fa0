import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { request } from '../../src/http.ts';
import { createDispatcher, isRequestTimeout } from '../../src/sinks/http-client.ts';

/** A server that accepts connections and never answers. */
async function blackHole(): Promise<{ url: string; close(): void }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('the request did not fail');
}

test('isRequestTimeout: the dispatcher timer and the request signal, whichever fires first, are both a timeout', async () => {
  const hole = await blackHole();
  const quickDispatcher = createDispatcher({ timeoutSeconds: 0.1, tlsInsecureSkipVerify: false });
  const slowDispatcher = createDispatcher({ timeoutSeconds: 30, tlsInsecureSkipVerify: false });
  try {
    const byDispatcher = await failure(request(hole.url, { dispatcher: quickDispatcher, signal: AbortSignal.timeout(30_000) }));
    // Headers, or connect on a machine so loaded that the connect timer runs before the connection's callback.
    assert.match((byDispatcher as { code?: string }).code ?? '', /^UND_ERR_(HEADERS|CONNECT)_TIMEOUT$/, String(byDispatcher));
    assert.ok(isRequestTimeout(byDispatcher));
    const bySignal = await failure(request(hole.url, { dispatcher: slowDispatcher, signal: AbortSignal.timeout(100) }));
    assert.ok(isRequestTimeout(bySignal), String(bySignal));
  } finally {
    hole.close();
    await quickDispatcher.destroy();
    await slowDispatcher.destroy();
  }
});

test('isRequestTimeout: a refused connection, a caller abort and nothing at all are not timeouts', async () => {
  const hole = await blackHole();
  const port = new URL(hole.url).port;
  hole.close();
  const dispatcher = createDispatcher({ timeoutSeconds: 5, tlsInsecureSkipVerify: false });
  try {
    const refused = await failure(request(`http://127.0.0.1:${port}/`, { dispatcher }));
    assert.equal(isRequestTimeout(refused), false, String(refused));
    const controller = new AbortController();
    controller.abort();
    const aborted = await failure(request(`http://127.0.0.1:${port}/`, { dispatcher, signal: controller.signal }));
    assert.equal(isRequestTimeout(aborted), false, String(aborted));
    assert.equal(isRequestTimeout(undefined), false);
  } finally {
    await dispatcher.destroy();
  }
});

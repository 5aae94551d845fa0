import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { request } from '../../src/http/request.ts';
import { isRequestTimeout, isRetryableError, parseRetryAfterMs, retryDelayMs, statusVerdict } from '../../src/http/retry.ts';
import { createDispatcher } from '../../src/http/client.ts';
import { waitFor } from '../helpers/wait.ts';

/** A server that accepts connections and never answers. */
async function blackHole(): Promise<{ url: string; connections(): number; close(): void }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    connections: () => sockets.length,
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
    assert.ok(isRetryableError(byDispatcher) && isRetryableError(bySignal), 'a timeout is worth retrying');
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
    assert.equal(isRetryableError(refused), true, 'a refused connection is worth retrying');
    assert.equal(isRequestTimeout(undefined), false);
  } finally {
    await dispatcher.destroy();
  }
});

test('a request aborted by its caller (shutdown) is not worth retrying', async () => {
  const hole = await blackHole();
  const dispatcher = createDispatcher({ timeoutSeconds: 30, tlsInsecureSkipVerify: false });
  try {
    const controller = new AbortController();
    const aborted = failure(request(hole.url, { dispatcher, signal: controller.signal }));
    await waitFor('the request to reach the server', () => hole.connections() > 0);
    controller.abort();
    const err = await aborted;
    assert.equal(isRetryableError(err), false, String(err));
  } finally {
    hole.close();
    await dispatcher.destroy();
  }
});

test('statuses: 2xx done, 5xx and 429 retried, every other status refused for good', () => {
  assert.deepEqual([200, 204, 429, 500, 503, 400, 404, 409, 302].map(statusVerdict), [
    'ok',
    'ok',
    'retry',
    'retry',
    'retry',
    'reject',
    'reject',
    'reject',
    'reject',
  ]);
});

test("the retry delay is the backoff, or the server's Retry-After when longer, capped by the policy", () => {
  const policy = { minMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };
  assert.equal(
    retryDelayMs(2, policy, undefined, () => 1),
    400,
  );
  assert.equal(
    retryDelayMs(2, policy, 50, () => 1),
    400,
  );
  assert.equal(
    retryDelayMs(2, policy, 3000, () => 1),
    3000,
  );
  assert.equal(
    retryDelayMs(2, policy, 60_000, () => 1),
    5000,
  );
  assert.equal(
    retryDelayMs(0, { minMs: 100, maxMs: 1000 }, 60_000, () => 1),
    60_000,
  );
});

test('Retry-After reads delay-seconds and HTTP dates', () => {
  assert.equal(parseRetryAfterMs('7'), 7000);
  assert.equal(parseRetryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.equal(parseRetryAfterMs('soon'), undefined);
  assert.equal(parseRetryAfterMs(undefined), undefined);
});

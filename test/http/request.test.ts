import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Agent, request } from '../../src/http/request.ts';

test('request sends method, path with query, headers and body to the URL, on the given dispatcher or a shared one', async () => {
  const seen: Array<{ method: string; url: string; header: string | undefined; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, header: req.headers['x-test'] as string | undefined, body });
      res.writeHead(201).end('made');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dispatcher = new Agent();
  try {
    const res = await request(`${base}/metrics/job/a%2Fb?x=1&y=2`, { method: 'PUT', headers: { 'x-test': 'yes' }, body: 'payload', dispatcher });
    assert.equal(res.statusCode, 201);
    assert.equal(await res.body.text(), 'made');
    const plain = await request(`${base}/plain`, {});
    assert.equal(plain.statusCode, 201);
    await plain.body.dump();
    assert.deepEqual(seen, [
      { method: 'PUT', url: '/metrics/job/a%2Fb?x=1&y=2', header: 'yes', body: 'payload' },
      { method: 'GET', url: '/plain', header: undefined, body: '' },
    ]);
  } finally {
    await dispatcher.close();
    server.close();
  }
});

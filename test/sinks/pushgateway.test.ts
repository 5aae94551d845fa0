/**
 * The Pushgateway sink's HTTP behaviour. A real Pushgateway cannot be made to
 * answer 503 or 302 on demand, so those cases use a scripted local HTTP server;
 * what the real gateway accepts is covered in test/agent.test.ts and
 * test/integration/.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { configFromText } from '../../src/config/config.ts';
import { createLogger } from '../../src/log.ts';
import type { Batch } from '../../src/model/batch.ts';
import { PushgatewaySink, pushgatewayKind, type PushgatewayConfig } from '../../src/sinks/pushgateway.ts';
import { identityKey, rendezvousOrder } from '../../src/sinks/rendezvous.ts';
import { FamilySet } from '../../src/model/family.ts';
import { startConnectProxy } from '../helpers/proxy.ts';
import { startSlowProxy } from '../helpers/slow-proxy.ts';
import { waitFor } from '../helpers/wait.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  atMs: number;
}
const seen: Seen[] = [];
let script: number[] = [];
/** Sent with every 429. */
let retryAfter: string | undefined;
/** Requests scripted with status 0: never answered (a gateway too busy to answer in time), ended when the server closes. */
const unanswered: ServerResponse[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks), atMs: Date.now() });
    const status = script.shift() ?? 200;
    if (status === 0) {
      unanswered.push(res);
      return;
    }
    res
      .writeHead(status, status === 302 ? { location: '/elsewhere' } : status === 429 && retryAfter ? { 'retry-after': retryAfter } : {})
      .end(status >= 400 ? `status ${status}\n` : '');
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
after(() => {
  for (const res of unanswered) res.destroy();
  return new Promise<void>((r) => server.close(() => r()));
});

function sink(extra = ''): PushgatewaySink {
  const cfg = configFromText(`[pushgateway.t]\nurl = ${url}\nretry_backoff = 10ms\n${extra}`);
  return new PushgatewaySink('pushgateway.t', cfg.sinks[0]!.config as PushgatewayConfig, {
    log: createLogger(),
    registry: new Registry(),
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'edgepush-pg-')),
  });
}

function batch(): Batch {
  const f = new FamilySet();
  f.gauge('temp', 'Temperature.', 21.5, { instance: 'own', room: 'a/b' });
  f.add('hits_total', 'Hits.', 'counter', 3, {}, 1_700_000_000_000);
  return {
    cycle: 1,
    identity: { instance: 'box', site: 'x/y' },
    sources: [{ source: 'exporter.app', job: 'app', up: true, families: f.toArray(), timestampMs: Date.now() }],
    deadlineMs: Date.now() + 5000,
  };
}

test('PUT per group, gzip, @base64 path, no timestamps, own clashing labels kept as exported_', async () => {
  seen.length = 0;
  const s = sink();
  const report = await s.push(batch(), new AbortController().signal);
  await s.close();
  assert.equal(report.ok, true, report.error);
  assert.equal(seen.length, 1);
  const req = seen[0]!;
  assert.equal(req.method, 'PUT');
  assert.equal(req.url, `/metrics/job/app/instance/box/site@base64/${Buffer.from('x/y').toString('base64url')}`);
  assert.equal(req.headers['content-encoding'], 'gzip');
  assert.match(String(req.headers['content-type']), /^text\/plain; version=0.0.4/);
  const text = gunzipSync(req.body).toString();
  assert.equal(report.bytesSent, req.body.length);
  assert.match(text, /^temp\{exported_instance="own",room="a\/b"\} 21.5$/m);
  assert.match(text, /^hits_total 3$/m, 'no timestamp');
});

test('5xx and 429 are retried within the cycle; 4xx and 3xx are not', async () => {
  seen.length = 0;
  script = [503, 429, 200];
  const s = sink('retries = 3\n');
  assert.equal((await s.push(batch(), new AbortController().signal)).ok, true);
  assert.equal(seen.length, 3);

  seen.length = 0;
  script = [400];
  const r400 = await s.push(batch(), new AbortController().signal);
  assert.equal(r400.ok, false);
  assert.match(r400.error ?? '', /PUT \/metrics\/job\/app\/.*HTTP 400: status 400/);
  assert.equal(seen.length, 1);

  seen.length = 0;
  script = [302];
  const r302 = await s.push(batch(), new AbortController().signal);
  assert.equal(r302.ok, false, 'a redirect is not a success');
  assert.match(r302.error ?? '', /HTTP 302/);
  assert.equal(seen.length, 1);

  seen.length = 0;
  script = [503, 503, 503, 503, 503];
  const exhausted = await s.push(batch(), new AbortController().signal);
  assert.equal(exhausted.ok, false);
  assert.equal(seen.length, 4, 'one try and 3 retries');
  await s.close();
});

test('a request the gateway did not answer in time is not retried within the cycle (it is still queued there)', async () => {
  seen.length = 0;
  script = [0];
  const s = sink('retries = 3\ntimeout = 300ms\n');
  const r = await s.push(batch(), new AbortController().signal);
  await s.close();
  assert.equal(r.ok, false);
  assert.match(r.error ?? '', /timed out/);
  // With retries, three more PUTs would have followed within the cycle's 5 s, before push() returned.
  assert.equal(seen.length, 1, `${seen.length} attempts`);
});

test('retries stop at the deadline (the next cycle)', async () => {
  seen.length = 0;
  script = Array(50).fill(503);
  const s = sink('retries = 20\nretry_backoff = 200ms\n');
  const b = batch();
  b.deadlineMs = Date.now() + 500;
  const t0 = Date.now();
  const r = await s.push(b, new AbortController().signal);
  await s.close();
  script = [];
  assert.equal(r.ok, false);
  // 20 retries from 200 ms doubling would take hours; the deadline ends them (with room for a loaded machine).
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  assert.ok(seen.length < 6, `${seen.length} attempts`);
});

test('429 with Retry-After: waits as long as asked when the cycle has the time, gives up at once when it has not', async () => {
  const s = sink('retries = 3\n');
  try {
    seen.length = 0;
    script = [429, 200];
    retryAfter = '1';
    const waited = await s.push(batch(), new AbortController().signal);
    assert.equal(waited.ok, true, waited.error);
    assert.equal(seen.length, 2);
    // A lower bound only: the 10 ms backoff alone would retry at once.
    assert.ok(seen[1]!.atMs - seen[0]!.atMs >= 900, `retried after ${seen[1]!.atMs - seen[0]!.atMs} ms`);

    seen.length = 0;
    script = [429, 200];
    retryAfter = '60';
    const b = batch();
    b.deadlineMs = Date.now() + 3000;
    const refused = await s.push(b, new AbortController().signal);
    assert.equal(refused.ok, false);
    assert.match(refused.error ?? '', /HTTP 429/);
    assert.equal(seen.length, 1, 'no retry that the gateway asked not to make');
    assert.ok(Date.now() < b.deadlineMs, 'no waiting for a retry that cannot happen');
  } finally {
    retryAfter = undefined;
    script = [];
    await s.close();
  }
});

test('basic auth and bearer token headers; gzip can be switched off', async () => {
  seen.length = 0;
  const basic = sink('username = agent\npassword = pw\ngzip = false\n');
  await basic.push(batch(), new AbortController().signal);
  await basic.close();
  assert.equal(seen[0]!.headers['authorization'], `Basic ${Buffer.from('agent:pw').toString('base64')}`);
  assert.equal(seen[0]!.headers['content-encoding'], undefined);
  assert.match(seen[0]!.body.toString(), /^# HELP hits_total Hits\.$/m);
  seen.length = 0;
  const bearer = sink('bearer_token = tok\n');
  await bearer.push(batch(), new AbortController().signal);
  await bearer.close();
  assert.equal(seen[0]!.headers['authorization'], 'Bearer tok');
});

test('proxy_url: requests go through the proxy (CONNECT)', async () => {
  const proxy = await startConnectProxy();
  const { tunnels } = proxy;
  try {
    seen.length = 0;
    const s = sink(`proxy_url = ${proxy.url}\n`);
    const r = await s.push(batch(), new AbortController().signal);
    await s.close();
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(tunnels, [new URL(url).host]);
    assert.equal(seen.length, 1);
  } finally {
    await proxy.close();
  }
});

test('a sink rebuilt for a changed tier deletes its groups on the old gateway, also those its predecessor pushed after the rebuild', async () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-pg-'));
  const other = url.replace('127.0.0.1', 'localhost');
  const make = (gateway: string): PushgatewaySink => {
    const cfg = configFromText(`[pushgateway.t]\nurl[] = ${gateway}\n`);
    return new PushgatewaySink('pushgateway.t', cfg.sinks[0]!.config as PushgatewayConfig, { log: createLogger(), registry: new Registry(), stateDir });
  };
  const deletesOnOld = (): number => seen.filter((r) => r.method === 'DELETE' && r.headers.host?.startsWith('127.0.0.1')).length;
  const old = make(url);
  const rebuilt = make(other);
  try {
    assert.equal((await old.push(batch(), new AbortController().signal)).ok, true);
    seen.length = 0;
    assert.equal((await rebuilt.push(batch(), new AbortController().signal)).ok, true);
    assert.equal(deletesOnOld(), 1, 'the group left on the old gateway is deleted');
    // The old sink's last, overlapping push lands on the old gateway again.
    assert.equal((await old.push(batch(), new AbortController().signal)).ok, true);
    await old.close();
    seen.length = 0;
    assert.equal((await rebuilt.push(batch(), new AbortController().signal)).ok, true);
    assert.equal(deletesOnOld(), 1, 'and so is the copy the old sink pushed meanwhile');
  } finally {
    await rebuilt.close();
  }
});

test("url[] lines make a tier: check-config names the box's own gateway and its failover order; a gateway listed twice is an error", async () => {
  const cfg = configFromText('[pushgateway.t]\nurl[] = http://gw1:9091/\nurl[] = http://gw2:9091\n');
  const config = cfg.sinks[0]!.config as PushgatewayConfig;
  assert.deepEqual(config.urls, ['http://gw1:9091', 'http://gw2:9091']);
  const text = pushgatewayKind.describe(config, { instance: 'box' });
  const [first, second] = rendezvousOrder(config.urls, identityKey({ instance: 'box' }));
  assert.equal(text, `tier of 2: pushes to ${first} (failover order: ${second})`);
  assert.equal(pushgatewayKind.describe(configFromText(`[pushgateway.t]\nurl = ${url}\n`).sinks[0]!.config as PushgatewayConfig, { instance: 'box' }), url);
  assert.throws(
    () => configFromText('[pushgateway.t]\nurl[] = http://gw1:9091\nurl[] = http://gw1:9091/\n'),
    /\[pushgateway\.t\] url: http:\/\/gw1:9091 is listed twice/,
  );
});

test('two Pushgateway sinks pushing the same batch send the body made once per source result', async () => {
  seen.length = 0;
  const [a, b] = [sink(), sink()];
  const shared = batch();
  assert.equal((await a.push(shared, new AbortController().signal)).ok, true);
  // Made once: the second sink does not encode the families again (changed here only to show it).
  shared.sources[0]!.families[0]!.samples[0]!.value = 99;
  assert.equal((await b.push(shared, new AbortController().signal)).ok, true);
  assert.equal((await a.push(batch(), new AbortController().signal)).ok, true);
  await Promise.all([a.close(), b.close()]);
  assert.equal(seen.length, 3);
  assert.deepEqual(seen[1]!.body, seen[0]!.body);
  assert.match(gunzipSync(seen[2]!.body).toString(), /^temp\{exported_instance="own",room="a\/b"\} 21.5$/m, 'a new batch is encoded anew');
});

test('a preferred gateway whose health check answers, but slowly, is not failed back to', async () => {
  const slow = await startSlowProxy(url);
  const registry = new Registry();
  const tier = [slow.url, url.replace('127.0.0.1', 'localhost')];
  const cfg = configFromText(
    `[pushgateway.t]\n${tier.map((u) => `url[] = ${u}`).join('\n')}\ntimeout = 400ms\nretries = 0\nfailover_after = 1s\nfailback_after = 1s\n`,
  );
  const s = new PushgatewaySink('pushgateway.t', cfg.sinks[0]!.config as PushgatewayConfig, {
    log: createLogger(),
    registry,
    stateDir: mkdtempSync(path.join(os.tmpdir(), 'edgepush-pg-')),
  });
  let instance = 'box';
  for (let i = 0; rendezvousOrder(tier, identityKey({ instance, site: 'x/y' }))[0] !== slow.url; i++) instance = `box-${i}`;
  const moves = async (reason: string): Promise<number> =>
    ((await registry.getSingleMetric('edgepush_pushgateway_moves_total')?.get())?.values ?? [])
      .filter((v) => v.labels['reason'] === reason)
      .reduce((n, v) => n + v.value, 0);
  const cycle = async (): Promise<void> => {
    const b = batch();
    b.identity = { instance, site: 'x/y' };
    b.deadlineMs = Date.now() + 1000;
    await s.push(b, new AbortController().signal);
  };
  try {
    // Pushes time out: the box fails over. Its health check then answers within the timeout, but slowly.
    slow.delayMs = (method) => (method === 'PUT' ? 1000 : method === 'GET' ? 300 : 0);
    await waitFor('the failover', async () => (await cycle(), (await moves('failover')) === 1), { timeoutMs: 60_000, intervalMs: 0 });
    const until = Date.now() + 3000; // three times failback_after
    while (Date.now() < until) await cycle();
    assert.equal(await moves('failback'), 0, 'no return to a gateway this slow');
  } finally {
    await s.close();
    await slow.close();
  }
});

/**
 * The listener sink in process: what /metrics serves after a push, HTTP
 * behaviour, bind failures and close. A real Prometheus scraping it through
 * the CLI agent is in test/integration/agent-listener.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { ConfigError } from '../../src/config/schema.ts';
import { configFromText, loadConfig } from '../../src/config/config.ts';
import { Agent } from '../../src/agent.ts';
import { createLogger, getLogLevel, setLogLevel, setLogSink } from '../../src/log.ts';
import { FamilySet } from '../../src/model/family.ts';
import { parseText } from '../../src/model/text-parser.ts';
import { ListenerSink, parseListenAddress, type ListenerConfig } from '../../src/sinks/listener.ts';
import type { Batch, SourceResult } from '../../src/model/batch.ts';
import { freePort } from '../helpers/servers.ts';
import { makeMutualTlsFiles, opensslMissing } from '../helpers/tls.ts';
import { waitFor } from '../helpers/wait.ts';

function source(id: string, job: string, build: (f: FamilySet) => void): SourceResult {
  const f = new FamilySet();
  build(f);
  f.gauge('up', 'Whether the source was collected.', 1);
  return { source: id, job, up: true, families: f.toArray(), timestampMs: 1_700_000_000_000 };
}

function batch(sources: SourceResult[]): Batch {
  return { cycle: 1, identity: { instance: 'box-1', site: 'lab' }, sources, deadlineMs: Date.now() + 10_000 };
}

function newSink(
  t: { after(fn: () => Promise<void>): void },
  config: ListenerConfig = { host: '127.0.0.1', port: 0 },
): { sink: ListenerSink; registry: Registry; logs: string[] } {
  const registry = new Registry();
  const logs: string[] = [];
  const previousSink = setLogSink((line) => logs.push(line));
  const previousLevel = getLogLevel();
  setLogLevel('info');
  const sink = new ListenerSink('listener.local', config, { log: createLogger(), registry, stateDir: os.tmpdir() });
  t.after(async () => {
    await sink.close();
    setLogSink(previousSink);
    setLogLevel(previousLevel);
  });
  return { sink, registry, logs };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(port: number, path: string, options: { method?: string; headers?: Record<string, string>; ca?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const common = { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false };
    const send = options.ca
      ? (cb: (res: IncomingMessage) => void) => httpsRequest({ ...common, ca: options.ca }, cb)
      : (cb: (res: IncomingMessage) => void) => httpRequest(common, cb);
    const req = send((res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('parseListenAddress: host:port, [v6]:port, :port; anything else says what is wrong', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:9100'), { host: '127.0.0.1', port: 9100 });
  assert.deepEqual(parseListenAddress('[::1]:9100'), { host: '::1', port: 9100 });
  assert.deepEqual(parseListenAddress(':9100'), { host: undefined, port: 9100 });
  assert.deepEqual(parseListenAddress('box.example:0'), { host: 'box.example', port: 0 });
  assert.throws(() => parseListenAddress('9100'), /not host:port/);
  assert.throws(() => parseListenAddress('::1:9100'), /not host:port/);
  assert.throws(() => parseListenAddress('127.0.0.1:70000'), /port 70000 is out of range/);
});

test('[listener.<name>] is a sink; a bad or missing address names file, section and key', () => {
  const ok = configFromText('[listener.local]\naddress = 127.0.0.1:9100\n');
  assert.deepEqual(
    ok.sinks.map((s) => [s.kind, s.name, s.config]),
    [['listener', 'listener.local', { host: '127.0.0.1', port: 9100 }]],
  );
  assert.throws(
    () => configFromText('[listener.local]\naddress = 9100\n', 'edgepush.ini'),
    (err: unknown) => err instanceof ConfigError && err.message.startsWith('edgepush.ini: [listener.local] address: "9100" is not host:port'),
  );
  assert.throws(
    () => configFromText('[listener.local]\n', 'edgepush.ini'),
    (err: unknown) => err instanceof ConfigError && /\[listener\.local\] address: is required/.test(err.message),
  );
  assert.throws(
    () => configFromText('[listener.local]\naddress = :9100\nadress = x\n', 'edgepush.ini'),
    (err: unknown) => err instanceof ConfigError && /\[listener\.local\] adress/.test(err.message),
  );
});

test('/metrics serves the last cycle: every source merged, with its job and the box identity, as a Pushgateway shows its groups', async (t) => {
  const { sink, registry, logs } = newSink(t);
  const before = await sink.push(batch([source('host', 'node', (f) => f.gauge('node_load1', '1m load average.', 0.5))]));
  assert.equal(before.ok, true);
  const port = sink.address()!.port;
  assert.ok(
    logs.some((l) => l.includes('msg=listening') && l.includes(`address=127.0.0.1:${port}`)),
    logs.join('\n'),
  );

  const report = await sink.push(
    batch([
      source('host', 'node', (f) => f.gauge('node_load1', '1m load average.', 0.25)),
      // An exporter's own `job` label is kept aside as exported_job, as Prometheus does on a scrape.
      source('exporter.app', 'app', (f) => f.counter('app_requests_total', 'Requests.', 7, { job: 'inner' })),
      source('exporter.other', 'other', (f) => f.gauge('app_requests_total', 'Not a counter here.', 1)),
    ]),
  );
  assert.equal(report.ok, true);
  const reply = await get(port, '/metrics');
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const text = reply.body.toString();
  const families = parseText(text);
  const series = (name: string) => families.find((f) => f.name === name)?.samples.map((s) => ({ ...s.labels, value: String(s.value) }));
  assert.deepEqual(series('up'), [
    { instance: 'box-1', job: 'app', site: 'lab', value: '1' },
    { instance: 'box-1', job: 'node', site: 'lab', value: '1' },
    { instance: 'box-1', job: 'other', site: 'lab', value: '1' },
  ]);
  assert.deepEqual(series('node_load1'), [{ instance: 'box-1', job: 'node', site: 'lab', value: '0.25' }], 'the latest cycle only');
  assert.deepEqual(
    series('app_requests_total'),
    [{ exported_job: 'inner', instance: 'box-1', job: 'app', site: 'lab', value: '7' }],
    "the other source's gauge of that name is left out",
  );
  assert.doesNotMatch(text, / 1700000000000\n/, 'no timestamps: the scrape stamps them');
  assert.ok(
    logs.some((l) => l.includes('msg=failing') && l.includes('app_requests_total (gauge in exporter.other, counter in exporter.app)')),
    logs.join('\n'),
  );

  const gzipped = await get(port, '/metrics', { headers: { 'accept-encoding': 'gzip, deflate' } });
  assert.equal(gzipped.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gzipped.body).toString(), text);
  const head = await get(port, '/metrics', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], String(Buffer.byteLength(text)));
  assert.equal(head.body.length, 0);

  assert.equal((await get(port, '/-/healthy')).status, 200);
  assert.equal((await get(port, '/nothing')).status, 404);
  const post = await get(port, '/metrics', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers['allow'], 'GET, HEAD');
  const counted = (await registry.getSingleMetric('edgepush_listener_requests_total')!.get()).values.map((v) => [v.labels['code'], v.value]);
  assert.deepEqual(counted.sort(), [
    ['200', 4],
    ['404', 1],
    ['405', 1],
  ]);
});

test('a port in use fails only this sink, logged once, and is bound at a later cycle once free', async (t) => {
  const squatter = createServer();
  squatter.listen(0, '127.0.0.1');
  await once(squatter, 'listening');
  const port = (squatter.address() as AddressInfo).port;
  const { sink, logs } = newSink(t, { host: '127.0.0.1', port });
  const b = batch([source('host', 'node', (f) => f.gauge('node_load1', '1m load average.', 1))]);
  const first = await sink.push(b);
  assert.equal(first.ok, false);
  assert.equal(first.error, `cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
  assert.equal((await sink.push(b)).ok, false);
  assert.equal(logs.filter((l) => l.includes('msg=failing') && l.includes('EADDRINUSE')).length, 1, 'logged once per state change');
  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  assert.equal((await sink.push(b)).ok, true);
  assert.equal((await get(port, '/metrics')).status, 200);
  assert.ok(logs.some((l) => l.includes('msg=recovered')));
});

test('nothing is bound before the first cycle; after close the port is free', async (t) => {
  const { sink } = newSink(t);
  assert.equal(sink.address(), undefined, 'nothing is bound before the first push');
  await sink.push(batch([]));
  const port = sink.address()!.port;
  assert.equal((await get(port, '/metrics')).status, 200);
  await sink.close();
  await assert.rejects(get(port, '/metrics'), /ECONNREFUSED/);
  const again = createServer();
  again.listen(port, '127.0.0.1');
  await once(again, 'listening');
  again.close();
});

test('HTTPS and basic auth: a configuration error names the key; without the right credentials every path is 401', { skip: opensslMissing() }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-listener-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  makeMutualTlsFiles(dir, 'box.example');
  writeFileSync(path.join(dir, 'password'), 's3cret\n');
  writeFileSync(path.join(dir, 'garbage.pem'), 'not a certificate\n');
  const section = (keys: string) => `[listener.lan]\naddress = 127.0.0.1:0\n${keys}`;
  const configError = (keys: string, pattern: RegExp) =>
    assert.throws(
      () => configFromText(section(keys), 'edgepush.ini'),
      (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
      pattern.source,
    );
  configError(`tls_cert_file = ${dir}/server.pem\n`, /\[listener\.lan\] tls_key_file: tls_cert_file and tls_key_file go together/);
  configError(`tls_cert_file = ${dir}/missing.pem\ntls_key_file = ${dir}/server.key\n`, /\[listener\.lan\] tls_cert_file: cannot read .*missing\.pem: ENOENT/);
  configError(`tls_cert_file = ${dir}/garbage.pem\ntls_key_file = ${dir}/server.key\n`, /\[listener\.lan\] tls_cert_file: .* do not make a usable certificate/);
  configError('username = scraper\n', /\[listener\.lan\] password: username and password go together/);

  const config = configFromText(
    section(`tls_cert_file = ${dir}/server.pem\ntls_key_file = ${dir}/server.key\nusername = scraper\npassword_file = ${dir}/password\n`),
  ).sinks[0]!.config as ListenerConfig;
  assert.equal(config.password, 's3cret');
  assert.match(config.tlsFilesSha256 ?? '', /^[0-9a-f]{64}$/);
  const { sink } = newSink(t, config);
  assert.equal((await sink.push(batch([source('host', 'node', (f) => f.gauge('node_load1', '1m load average.', 1))]))).ok, true);
  const port = sink.address()!.port;
  const ca = readFileSync(path.join(dir, 'ca.pem'));
  const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

  const anonymous = await get(port, '/metrics', { ca });
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers['www-authenticate'], 'Basic realm="edgepush"');
  assert.equal((await get(port, '/-/healthy', { ca })).status, 401);
  assert.equal((await get(port, '/metrics', { ca, headers: basic('scraper', 'wrong') })).status, 401);
  assert.equal((await get(port, '/metrics', { ca, headers: basic('someone', 's3cret') })).status, 401);
  const ok = await get(port, '/metrics', { ca, headers: basic('scraper', 's3cret') });
  assert.equal(ok.status, 200);
  assert.match(ok.body.toString(), /^node_load1\{instance="box-1",job="node",site="lab"\} 1$/m);
  await assert.rejects(get(port, '/metrics', { headers: basic('scraper', 's3cret') }), 'plain HTTP gets no answer from the HTTPS port');
});

test('a reload after a certificate rotation (same paths, new contents) serves the new certificate on the same port', { skip: opensslMissing() }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-listener-rotate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const generation of ['old', 'new']) {
    mkdirSync(path.join(dir, generation));
    makeMutualTlsFiles(path.join(dir, generation), 'box.example');
  }
  const install = (generation: string) => {
    copyFileSync(path.join(dir, generation, 'server.pem'), path.join(dir, 'listener.pem'));
    copyFileSync(path.join(dir, generation, 'server.key'), path.join(dir, 'listener.key'));
  };
  install('old');
  const port = await freePort();
  const configFile = path.join(dir, 'edgepush.ini');
  writeFileSync(
    configFile,
    `[agent]\nstate_dir = ${dir}/state\n[identity]\ninstance = box-1\n[host]\nenabled = false\n[listener.lan]\naddress = 127.0.0.1:${port}\ntls_cert_file = ${dir}/listener.pem\ntls_key_file = ${dir}/listener.key\n`,
  );
  const load = () => loadConfig({ defaultsFile: path.join(dir, 'none.ini'), configFile });
  const agent = new Agent({ config: load(), reloadConfig: load });
  t.after(() => agent.stop());
  const servedBy = async (generation: string) => {
    const ca = readFileSync(path.join(dir, generation, 'ca.pem'));
    await waitFor(
      `the ${generation} certificate served`,
      async () => {
        await (await agent.runCycle()).pushed;
        return (await get(port, '/metrics', { ca }).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 10_000 },
    );
  };
  await servedBy('old');
  install('new');
  assert.equal(agent.reload(), true);
  await servedBy('new');
  await assert.rejects(get(port, '/metrics', { ca: readFileSync(path.join(dir, 'old', 'ca.pem')) }), /certificate/, 'the old certificate is gone');
});

test('a certificate unreadable at bind time fails only this sink, says which file, and the next cycle binds once it is back', {
  skip: opensslMissing(),
}, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-listener-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  makeMutualTlsFiles(dir, 'box.example');
  const config = configFromText(`[listener.lan]\naddress = 127.0.0.1:0\ntls_cert_file = ${dir}/server.pem\ntls_key_file = ${dir}/server.key\n`).sinks[0]!
    .config as ListenerConfig;
  const { sink } = newSink(t, config);
  renameSync(path.join(dir, 'server.pem'), path.join(dir, 'away.pem'));
  const b = batch([source('host', 'node', (f) => f.gauge('node_load1', '1m load average.', 1))]);
  const failed = await sink.push(b);
  assert.equal(failed.ok, false);
  assert.match(failed.error ?? '', /^cannot listen on 127\.0\.0\.1:0: ENOENT: .*server\.pem/);
  renameSync(path.join(dir, 'away.pem'), path.join(dir, 'server.pem'));
  assert.equal((await sink.push(b)).ok, true);
  const ok = await get(sink.address()!.port, '/metrics', { ca: readFileSync(path.join(dir, 'ca.pem')) });
  assert.equal(ok.status, 200);
});

test('a cycle is encoded at its first request, not at the push: a listener nobody scrapes costs nothing per cycle', async (t) => {
  const { sink, logs } = newSink(t);
  const conflicting = batch([source('exporter.a', 'a', (f) => f.counter('x_total', 'X.', 1)), source('exporter.b', 'b', (f) => f.gauge('x_total', 'X.', 1))]);
  assert.equal((await sink.push(conflicting)).ok, true);
  assert.equal((await sink.push(conflicting)).ok, true);
  assert.deepEqual(
    logs.filter((l) => l.includes('x_total')),
    [],
    'nothing merged or encoded yet',
  );
  assert.equal((await get(sink.address()!.port, '/metrics')).status, 200);
  assert.equal(logs.filter((l) => l.includes('msg=failing') && l.includes('x_total')).length, 1);
});

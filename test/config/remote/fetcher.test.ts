/**
 * [remote_config]: where the fetched layer sits among the files, what it may
 * not set, the fallback when the cached layer no longer loads, and the
 * fetcher against a local HTTP server whose answers the test scripts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig, type AgentConfig } from '../../../src/config/config.ts';
import { signLayer } from '../../../src/config/remote/layer-signature.ts';
import { RemoteConfigFetcher } from '../../../src/config/remote/fetcher.ts';
import { VERSION } from '../../../src/version.ts';
import { ConfigError } from '../../../src/config/schema.ts';
import { createLogger, getLogLevel, setLogLevel, setLogSink } from '../../../src/log.ts';
import { runCli, startCli } from '../../helpers/cli.ts';
import { waitFor } from '../../helpers/wait.ts';

interface Box {
  configFile: string;
  cacheFile: string;
  load: (remoteLayerText?: string) => AgentConfig;
}

/** A box whose edgepush.ini points at `url` and also holds `localExtra`. */
function box(t: { after(fn: () => void): void }, url: string, localExtra = ''): Box {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-remote-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'state'));
  const configFile = path.join(dir, 'edgepush.ini');
  writeFileSync(configFile, `[agent]\nstate_dir = ${dir}/state\n[identity]\ninstance = box/7\n[remote_config]\nurl = ${url}\ninterval = 1m\n${localExtra}`);
  return {
    configFile,
    cacheFile: path.join(dir, 'state', 'remote-config.ini'),
    load: (remoteLayerText) =>
      loadConfig({ defaultsFile: path.join(dir, 'none.ini'), configFile, ...(remoteLayerText === undefined ? {} : { remoteLayerText }) }),
  };
}

test('the cached layer sits between the vendor defaults and the local files; {instance} is filled in', (t) => {
  const b = box(t, 'https://config.example/edgepush/{instance}.ini', '[host]\ncollector.cpu = false\n');
  writeFileSync(
    b.cacheFile,
    '[agent]\ninterval = 30s\n[host]\ncollector.cpu = true\ncollector.loadavg = false\n[pushgateway.central]\nurl = http://gw.example:9091\n',
  );
  const c = b.load();
  assert.equal(c.remoteConfig?.url, 'https://config.example/edgepush/box%2F7.ini');
  assert.equal(c.agent.intervalSeconds, 30, 'the remote layer sets what the local files do not');
  assert.deepEqual(
    c.sinks.map((s) => s.name),
    ['pushgateway.central'],
  );
  assert.equal(c.host.source.enabled.has('cpu'), false, 'a local file overrides the remote layer');
  assert.equal(c.host.source.enabled.has('loadavg'), false);
  assert.deepEqual(c.files, [`https://config.example/edgepush/box%2F7.ini (cached in ${b.cacheFile})`, b.configFile]);
  assert.equal(c.remoteLayerError, undefined);
});

test('a layer that sets what must stay local is refused, naming the URL, section and key', (t) => {
  const b = box(t, 'http://127.0.0.1:1/layer.ini');
  for (const [text, where] of [
    ['[identity]\ninstance = someone-else\n', /\[identity\]: cannot come from the remote configuration/],
    ['[remote_config]\nurl = http://elsewhere.example/\n', /\[remote_config\]: cannot come from the remote configuration/],
    ['[agent]\nstate_dir = /tmp/x\n', /\[agent\] state_dir: cannot come from the remote configuration/],
    ['[pushgateway.central]\nurl = ftp://gw.example\n', /\[pushgateway\.central\] url/],
  ] as const) {
    assert.throws(
      () => b.load(text),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith('http://127.0.0.1:1/layer.ini: ') && where.test(err.message),
      text,
    );
  }
});

/** Each layer refused with its URL, section and key, and a reason that says what the rule is. */
function assertRefused(b: Box, why: RegExp, layers: ReadonlyArray<readonly [text: string, section: string, key: string | undefined]>): void {
  for (const [text, section, key] of layers) {
    assert.throws(
      () => b.load(text),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.origin === 'http://127.0.0.1:1/layer.ini' &&
        err.section === section &&
        err.key === key &&
        /cannot come from the remote configuration/.test(err.message) &&
        why.test(err.message),
      text,
    );
  }
}

test('a layer names no local path: not as a secret file, a TLS file, a queue directory nor a host path; a harmless layer still loads', (t) => {
  const b = box(t, 'http://127.0.0.1:1/layer.ini', '[agent]\ninterval = 15s\n');
  const secretFile = path.join(path.dirname(b.configFile), 'secret');
  writeFileSync(secretFile, 'marker-secret\n');
  assertRefused(b, /names a local file or directory/, [
    [`[exporter.exfil]\nurl = http://config.example/collect\nusername = x\npassword_file = ${secretFile}\n`, 'exporter.exfil', 'password_file'],
    [`[pushgateway.new]\nurl = http://gw.example:9091\nbearer_token_file = ${secretFile}\n`, 'pushgateway.new', 'bearer_token_file'],
    [`[pushgateway.new]\nurl = https://gw.example:9091\ntls_key_file = ${secretFile}\ntls_cert_file = ${secretFile}\n`, 'pushgateway.new', 'tls_key_file'],
    ['[remote_write.x]\nurl = http://rw.example/api/v1/write\nqueue_dir = /tmp/someone-elses\n', 'remote_write.x', 'queue_dir'],
    [`[listener.l]\naddress = 127.0.0.1:9100\ntls_cert_file = ${secretFile}\ntls_key_file = ${secretFile}\n`, 'listener.l', 'tls_cert_file'],
    ['[host]\npath.procfs = /tmp/fake-proc\n', 'host', 'path.procfs'],
    ['[host]\ncollector.textfile.directory = /etc\n', 'host', 'collector.textfile.directory'],
    ['[host]\ncollector.pcidevice.idsfile = /etc/shadow\n', 'host', 'collector.pcidevice.idsfile'],
    ['[agent]\nstate_dir = /tmp/x\n', 'agent', 'state_dir'],
  ]);
  assert.throws(
    () => b.load(`[exporter.exfil]\nurl = http://config.example/collect\nusername = x\npassword_file = ${secretFile}\n`),
    (err: Error) => !err.message.includes('marker-secret'),
  );

  const harmless = b.load(
    '[agent]\ninterval = 30s\n[exporter.app]\nurl = http://127.0.0.1:9113/metrics\nusername = scraper\npassword = inline-from-the-layer\n[pushgateway.central]\nurl = https://gw.example:9091\nbearer_token = layer-token\ntls_server_name = gw\n[host]\ncollector.textfile = false\n',
  );
  assert.equal(harmless.agent.intervalSeconds, 15, 'the local file still wins');
  assert.equal(harmless.exporters[0]?.http.password, 'inline-from-the-layer', "a section the layer configures alone may carry the layer's own credentials");
  assert.deepEqual(
    harmless.sinks.map((s) => s.name),
    ['pushgateway.central'],
  );
});

test("a layer does not change where, how or whether a locally configured section's requests go", (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-remote-local-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'pw'), 'local-password\n');
  const b = box(
    t,
    'http://127.0.0.1:1/layer.ini',
    `[pushgateway.main]\nurl = https://gw.example:9091\nusername = box\npassword_file = ${dir}/pw\n[exporter.app]\nurl = http://127.0.0.1:9113/metrics\n[pushgateway.dropped]\nenabled = false\n`,
  );
  // The vendor defaults are local files too: a section they configure is the box's, and so is its switch.
  writeFileSync(
    path.join(path.dirname(b.configFile), 'none.ini'),
    `[pushgateway.vendor]\nenabled = false\nurl = http://vendor.example:9091\nusername = box\npassword_file = ${dir}/pw\n[remote_write.vendor]\nurl = http://rw.example/api/v1/write\n`,
  );
  assertRefused(b, /the local files configure this section's connection \(.+\), and a layer may not change where, how or whether its requests go/, [
    ['[pushgateway.main]\nproxy_url = http://proxy.example:3128\n', 'pushgateway.main', 'proxy_url'],
    ['[pushgateway.main]\ntls_insecure_skip_verify = true\n', 'pushgateway.main', 'tls_insecure_skip_verify'],
    ['[pushgateway.main]\ntls_server_name = elsewhere.example\n', 'pushgateway.main', 'tls_server_name'],
    ['[exporter.app]\nbearer_token = from-the-layer\n', 'exporter.app', 'bearer_token'],
    ['[remote_write.vendor]\nurl = http://config.example/write\n', 'remote_write.vendor', 'url'],
    ['[pushgateway.vendor]\nenabled = true\n', 'pushgateway.vendor', 'enabled'],
    ['[remote_write.vendor]\nheaders = Authorization: Bearer x\n', 'remote_write.vendor', 'headers'],
  ]);
  const overridden = b.load('[exporter.app]\nurl = http://config.example/collect\n');
  assert.equal(overridden.exporters[0]?.url, 'http://127.0.0.1:9113/metrics', 'a value the local files override changes nothing');
  const fine = b.load(
    '[pushgateway.main]\nurl = https://gw.example:9091\nretries = 5\n[exporter.app]\nenabled = false\n[pushgateway.dropped]\nurl = http://config.example/collect\n[pushgateway.vendor]\nretries = 1\n',
  );
  assert.deepEqual(
    fine.sinks.map((s) => s.name),
    ['pushgateway.main', 'remote_write.vendor'],
    'restating a local value, switching a section off, or configuring a section the local files switch off is no change',
  );
  assert.deepEqual(fine.exporters, []);
});

test('a cached layer that breaks the rule is left out: the agent runs on its local files and says why', (t) => {
  const b = box(t, 'http://127.0.0.1:1/layer.ini', '[pushgateway.local]\nurl = http://127.0.0.1:9091\n');
  writeFileSync(b.cacheFile, '[pushgateway.local]\nproxy_url = http://proxy.example:3128\n');
  const c = b.load();
  assert.equal((c.sinks[0]!.config as { http: { proxyUrl?: string } }).http.proxyUrl, undefined);
  assert.match(c.remoteLayerError ?? '', /\[pushgateway\.local\] proxy_url: cannot come from the remote configuration/);
});

test('a cached layer that no longer loads is left out: the agent runs on its local files and says why', (t) => {
  const b = box(t, 'http://127.0.0.1:1/layer.ini', '[pushgateway.local]\nurl = http://127.0.0.1:9091\n');
  writeFileSync(b.cacheFile, '[pushgateway.central]\nurl = http://gw.example:9091\nkey_from_an_older_version = 1\n');
  const c = b.load();
  assert.deepEqual(
    c.sinks.map((s) => s.name),
    ['pushgateway.local'],
  );
  assert.match(c.remoteLayerError ?? '', /\[pushgateway\.central\] key_from_an_older_version/);
  assert.deepEqual(c.files, [b.configFile]);
});

interface Served {
  status: number;
  body: string;
  etag?: string;
}

async function layerServer(t: { after(fn: () => Promise<void>): void }): Promise<{ url: string; serve: (s: Served) => void; requests: IncomingHttpHeaders[] }> {
  let current: Served = { status: 404, body: '' };
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    if (current.etag && req.headers['if-none-match'] === current.etag) return void res.writeHead(304).end();
    res.writeHead(current.status, current.etag ? { etag: current.etag } : {}).end(current.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/layer.ini`, serve: (s) => (current = s), requests };
}

test('the fetcher applies a new loadable layer once, keeps the running one on a refused or failed fetch, and honours ETags', async (t) => {
  const logs: string[] = [];
  const previousSink = setLogSink((line) => logs.push(line));
  const previousLevel = getLogLevel();
  setLogLevel('info');
  t.after(() => {
    setLogSink(previousSink);
    setLogLevel(previousLevel);
  });
  const srv = await layerServer(t);
  const b = box(t, srv.url);
  let applied = 0;
  const registry = new Registry();
  const fetcher = new RemoteConfigFetcher({
    settings: b.load().remoteConfig!,
    validate: (text) => void b.load(text),
    apply: () => applied++,
    log: createLogger(),
    registry,
  });
  t.after(() => fetcher.stop());
  const good = '[pushgateway.central]\nurl = http://gw.example:9091\n';

  srv.serve({ status: 200, body: good });
  assert.equal(await fetcher.fetchOnce(), 'applied');
  assert.equal(readFileSync(b.cacheFile, 'utf8'), good);
  assert.equal(applied, 1);
  assert.deepEqual(
    b.load().sinks.map((s) => s.name),
    ['pushgateway.central'],
    'a reload now reads the cached layer',
  );
  assert.equal(await fetcher.fetchOnce(), 'unchanged', 'the same layer again is not applied again');
  assert.equal(applied, 1);

  srv.serve({ status: 200, body: '[pushgateway.central]\nurl = not a url\n' });
  assert.equal(await fetcher.fetchOnce(), 'refused');
  assert.equal(await fetcher.fetchOnce(), 'refused');
  assert.equal(readFileSync(b.cacheFile, 'utf8'), good, 'a refused layer is not cached');
  assert.equal(applied, 1);
  assert.equal(
    logs.filter(
      (l) => l.includes('msg=failing') && l.includes('remote configuration refused, keeping the running one') && l.includes('[pushgateway.central] url'),
    ).length,
    1,
    logs.join('\n'),
  );

  srv.serve({ status: 503, body: 'maintenance' });
  assert.equal(await fetcher.fetchOnce(), 'failed');
  srv.serve({ status: 200, body: 'x'.repeat(2 * 1024 * 1024) });
  assert.equal(await fetcher.fetchOnce(), 'failed', 'a body over 1 MiB is not a configuration layer');
  assert.ok(
    logs.some((l) => l.includes('cannot fetch the remote configuration') && l.includes('HTTP 503')),
    logs.join('\n'),
  );

  const next = '[pushgateway.central]\nurl = http://gw-2.example:9091\n';
  srv.serve({ status: 200, body: next, etag: '"v2"' });
  assert.equal(await fetcher.fetchOnce(), 'applied');
  assert.equal(applied, 2);
  assert.equal(await fetcher.fetchOnce(), 'unchanged');
  assert.equal(srv.requests.at(-1)?.['if-none-match'], '"v2"', 'the ETag is sent back');
  assert.ok(
    logs.some((l) => l.includes('msg=recovered')),
    'the recovery is logged',
  );

  const fetches = (await registry.getSingleMetric('edgepush_remote_config_fetches_total')!.get()).values.map((v) => [v.labels['result'], v.value]);
  assert.deepEqual(fetches.sort(), [
    ['applied', 2],
    ['failed', 2],
    ['refused', 2],
    ['unchanged', 2],
  ]);
});

test('check-config says where the remote layer comes from and whether the cached one is in use, left out or not there yet', async (t) => {
  const b = box(t, 'http://127.0.0.1:1/{instance}.ini');
  const check = async () => {
    const r = await runCli(['check-config', `--config.file=${b.configFile}`, `--config.defaults=${path.join(path.dirname(b.configFile), 'none.ini')}`]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const none = await check();
  assert.match(none, /^remote config: http:\/\/127\.0\.0\.1:1\/box%2F7\.ini every 60s; cached layer none yet$/m);
  assert.match(none, /^no sink configured yet: they may come with the remote configuration$/m);
  writeFileSync(b.cacheFile, '[pushgateway.central]\nurl = http://gw.example:9091\n');
  const inUse = await check();
  assert.match(inUse, /cached layer in use$/m);
  assert.match(inUse, /^sink pushgateway\.central: http:\/\/gw\.example:9091$/m);
  writeFileSync(b.cacheFile, '[pushgateway.central]\nurl = ftp://gw.example\n');
  assert.match(await check(), /cached layer left out \(it does not load: .*\[pushgateway\.central\] url/m);
});

test('a remote_config URL with credentials is refused by check-config and run, and neither prints nor logs them', async (t) => {
  let requests = 0;
  const down = createServer((_req, res) => void (requests++, res.writeHead(503).end()));
  down.listen(0, '127.0.0.1');
  await once(down, 'listening');
  t.after(() => new Promise<void>((resolve) => down.close(() => resolve())));
  const b = box(t, `http://fleet:pa55word@127.0.0.1:${(down.address() as AddressInfo).port}/{instance}.ini`, '[agent]\nlog_level = debug\n');
  const args = [`--config.file=${b.configFile}`, `--config.defaults=${path.join(path.dirname(b.configFile), 'none.ini')}`];
  const check = await runCli(['check-config', ...args]);
  assert.equal(check.code, 1, check.stdout);
  assert.match(check.stderr, /\[remote_config\] url: a URL must not hold credentials/);
  assert.doesNotMatch(check.stdout + check.stderr, /pa55word/);

  let log = '';
  const agent = startCli(['run', ...args], (d) => (log += d));
  t.after(() => void (agent.exitCode === null && agent.kill('SIGKILL')));
  // Today's agent would run and log its fetches: stop at the first sign of either outcome.
  await waitFor('the agent to exit or log the URL', () => agent.exitCode !== null || log.includes('pa55word'), { timeoutMs: 30_000 });
  assert.doesNotMatch(log, /pa55word/);
  assert.notEqual(agent.exitCode, 0);
  assert.equal(requests, 0, 'nothing fetched');
});

test('stopping the agent aborts a fetch in flight instead of waiting out the timeout, and logs no failure', async (t) => {
  const logs: string[] = [];
  const previousSink = setLogSink((line) => logs.push(line));
  t.after(() => setLogSink(previousSink));
  let seen = 0;
  const silent = createServer(() => void seen++);
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  t.after(() => {
    silent.closeAllConnections();
    silent.close();
  });
  const b = box(t, `http://127.0.0.1:${(silent.address() as AddressInfo).port}/layer.ini`, '[remote_config]\ntimeout = 60s\n');
  const fetcher = new RemoteConfigFetcher({
    settings: b.load().remoteConfig!,
    validate: () => undefined,
    apply: () => undefined,
    log: createLogger(),
    registry: new Registry(),
  });
  fetcher.start();
  await waitFor('the fetch in flight', () => seen === 1);
  const stopping = Date.now();
  await fetcher.stop();
  assert.ok(Date.now() - stopping < 5_000, `stop took ${Date.now() - stopping} ms with a 60 s fetch timeout`);
  assert.deepEqual(
    logs.filter((l) => l.includes('msg=failing')),
    [],
  );
});

/** A signing key pair and its public key file, for [remote_config] trusted_keys. */
function signingKey(t: { after(fn: () => void): void }): { privateKey: KeyObject; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const file = path.join(dir, 'trusted.pem');
  writeFileSync(file, publicKey.export({ format: 'pem', type: 'spki' }));
  return { privateKey, file };
}

test('with trusted keys, the cached layer is verified at every load: one changed on disk is left out', (t) => {
  const key = signingKey(t);
  const b = box(t, 'http://127.0.0.1:1/layer.ini', `trusted_keys = ${key.file}\n[pushgateway.local]\nurl = http://127.0.0.1:9091\n`);
  const signed = signLayer('[pushgateway.central]\nurl = http://gw.example:9091\n', key.privateKey, 1);
  writeFileSync(b.cacheFile, signed);
  assert.deepEqual(
    b.load().sinks.map((s) => s.name),
    ['pushgateway.central', 'pushgateway.local'],
  );
  writeFileSync(b.cacheFile, signed.replace('gw.example', 'evil.example'));
  const c = b.load();
  assert.deepEqual(
    c.sinks.map((s) => s.name),
    ['pushgateway.local'],
  );
  assert.match(c.remoteLayerError ?? '', /\(cached in .*\): \[remote_config\] trusted_keys: the signature by key [0-9a-f]{16} does not match the layer/);
});

test('a trusted_keys file that cannot be used is a configuration error naming the key', (t) => {
  const b = box(t, 'http://127.0.0.1:1/layer.ini', `trusted_keys = ${path.join(os.tmpdir(), 'edgepush-no-such-keys.pem')}\n`);
  assert.throws(
    () => b.load(),
    (err: unknown) =>
      err instanceof ConfigError && err.section === 'remote_config' && err.key === 'trusted_keys' && /cannot read the file: ENOENT/.test(err.message),
  );
});

test('with trusted keys, the fetcher applies a signed layer and refuses unsigned, tampered, wrong-key and replayed ones, counting each reason', async (t) => {
  const previousSink = setLogSink(() => undefined);
  t.after(() => setLogSink(previousSink));
  const key = signingKey(t);
  const other = signingKey(t);
  const srv = await layerServer(t);
  const b = box(t, srv.url, `trusted_keys = ${key.file}\n`);
  let applied = 0;
  const registry = new Registry();
  const fetcher = new RemoteConfigFetcher({
    settings: b.load().remoteConfig!,
    validate: (text) => void b.load(text),
    apply: () => applied++,
    log: createLogger(),
    registry,
  });
  t.after(() => fetcher.stop());
  const info = async () => (await registry.getSingleMetric('edgepush_remote_config_info')!.get()).values.map((v) => v.labels);
  const v2 = signLayer('[pushgateway.central]\nurl = http://gw.example:9091\n', key.privateKey, 2);

  srv.serve({ status: 200, body: v2 });
  assert.equal(await fetcher.fetchOnce(), 'applied');
  assert.equal(srv.requests.at(-1)?.['x-edgepush-instance'], 'box/7');
  assert.equal(srv.requests.at(-1)?.['x-edgepush-version'], VERSION);
  assert.equal(srv.requests.at(-1)?.['x-edgepush-config-version'], undefined, 'no layer ran before');
  assert.deepEqual(await info(), [{ version: '2', sha256: createHash('sha256').update(v2).digest('hex'), state: 'applied' }]);

  const refusals: Array<[string, string]> = [
    ['[pushgateway.central]\nurl = http://evil.example:9091\n', 'unsigned'],
    [v2.replace('gw.example', 'evil.example'), 'bad_signature'],
    [signLayer('[pushgateway.central]\nurl = http://evil.example:9091\n', other.privateKey, 3), 'unknown_key'],
    [signLayer('[pushgateway.central]\nurl = http://old.example:9091\n', key.privateKey, 1), 'old_version'],
    [signLayer('[pushgateway.central]\nurl = http://other.example:9091\n', key.privateKey, 2), 'old_version'],
  ];
  for (const [body, reason] of refusals) {
    srv.serve({ status: 200, body });
    assert.equal(await fetcher.fetchOnce(), 'refused', reason);
    assert.equal(srv.requests.at(-1)?.['x-edgepush-config-version'], '2', 'the running version is announced');
  }
  assert.equal(readFileSync(b.cacheFile, 'utf8'), v2, 'the running layer stays');
  assert.equal(applied, 1);
  assert.equal((await info())[0]?.['state'], 'refused');
  const byReason = (await registry.getSingleMetric('edgepush_remote_config_refusals_total')!.get()).values.map((v) => [v.labels['reason'], v.value]);
  assert.deepEqual(byReason.sort(), [
    ['bad_signature', 1],
    ['old_version', 2],
    ['unknown_key', 1],
    ['unsigned', 1],
  ]);

  srv.serve({ status: 200, body: v2 });
  assert.equal(await fetcher.fetchOnce(), 'unchanged');
  assert.equal((await info())[0]?.['state'], 'applied', 'the running layer served again clears the refusal');
  srv.serve({ status: 200, body: signLayer('[pushgateway.central]\nurl = http://gw-3.example:9091\n', key.privateKey, 3) });
  assert.equal(await fetcher.fetchOnce(), 'applied', 'a higher version signed by a trusted key');
});

test('check-config warns that layers are not verified without trusted keys, and names the keys with them', async (t) => {
  const key = signingKey(t);
  const run = async (extra: string) => {
    const b = box(t, 'http://127.0.0.1:1/{instance}.ini', extra);
    const r = await runCli(['check-config', `--config.file=${b.configFile}`, `--config.defaults=${path.join(path.dirname(b.configFile), 'none.ini')}`]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  assert.match(await run(''), /^warning: remote configuration layers are not verified: .*set \[remote_config\] trusted_keys$/m);
  const verified = await run(`trusted_keys = ${key.file}\n`);
  assert.match(verified, /^remote config signatures: verified against 1 trusted key\(s\) \([0-9a-f]{16}\)$/m);
  assert.doesNotMatch(verified, /not verified/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFromText, loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/config/schema.ts';
import type { PushgatewayConfig } from '../../src/sinks/pushgateway.ts';

function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'edgepush-config-'));
}

test('built-in defaults give a runnable config with host and self sources', () => {
  const c = configFromText('[identity]\ninstance = box-1\n');
  assert.equal(c.agent.intervalSeconds, 15);
  assert.equal(c.agent.timeoutSeconds, 10);
  assert.equal(c.identity.instance, 'box-1');
  assert.equal(c.identity.from, 'literal');
  assert.equal(c.host.enabled, true);
  assert.equal(c.host.job, 'node');
  assert.ok(c.host.source.enabled.has('loadavg'));
  assert.equal(c.self.job, 'edgepush');
  assert.deepEqual(c.exporters, []);
  assert.deepEqual(c.sinks, []);
});

test('exporters, pushgateways, labels and host options are typed', () => {
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'pw'), 'secret\n');
  const c = configFromText(`
[agent]
interval = 30s
timeout = 5s
[identity]
instance = box-2
[labels]
site = paris/north
[host]
collector.loadavg = false
path.procfs = /tmp/proc
[exporter.nginx]
url = http://127.0.0.1:9113/metrics
metric_drop = go_.*
label.tier = edge
[pushgateway.main]
url = http://gw.example:9091/
username = agent
password_file = ${dir}/pw
grouping.region = eu
gzip = false
`);
  assert.equal(c.agent.intervalSeconds, 30);
  assert.deepEqual(c.labels, { site: 'paris/north' });
  assert.equal(c.host.source.enabled.has('loadavg'), false);
  assert.equal(c.host.source.paths.procfs, '/tmp/proc');
  assert.equal(c.exporters.length, 1);
  const e = c.exporters[0]!;
  assert.equal(e.job, 'nginx');
  assert.equal(e.timeoutSeconds, 5);
  assert.deepEqual(e.labels, { tier: 'edge' });
  assert.ok(e.metricDrop!.test('go_goroutines'));
  assert.ok(!e.metricDrop!.test('nginx_go_x'), 'regexes are anchored');
  assert.equal(c.sinks.length, 1);
  const pg = c.sinks[0]!.config as PushgatewayConfig;
  assert.equal(c.sinks[0]!.name, 'pushgateway.main');
  assert.deepEqual(pg.urls, ['http://gw.example:9091']);
  assert.equal(pg.http.password, 'secret');
  assert.equal(pg.gzip, false);
  assert.deepEqual(pg.grouping, { region: 'eu' });
});

function assertConfigError(text: string, section: string, key: string | undefined, pattern: RegExp): void {
  assert.throws(
    () => configFromText(text, '/etc/edgepush/edgepush.ini'),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.origin, '/etc/edgepush/edgepush.ini');
      assert.equal(err.section, section);
      assert.equal(err.key, key);
      assert.match(err.message, pattern);
      assert.ok(err.message.startsWith(`/etc/edgepush/edgepush.ini: [${section}]`), err.message);
      return true;
    },
  );
}

test('errors name file, section and key', () => {
  assertConfigError('[agent]\nintervall = 15s\n', 'agent', 'intervall', /unknown key/);
  assertConfigError('[agent]\ninterval = soon\n', 'agent', 'interval', /invalid duration/);
  assertConfigError('[agent]\ninterval = 5s\ntimeout = 10s\n', 'agent', 'timeout', /shorter than interval/);
  assertConfigError('[pushgateway.main]\nurl = ftp://x\n', 'pushgateway.main', 'url', /must use http/);
  assertConfigError('[pushgateway.main]\nurl = not a url\n', 'pushgateway.main', 'url', /invalid URL/);
  assertConfigError('[pushgateway.main]\ngzip = true\n', 'pushgateway.main', 'url', /required/);
  assertConfigError('[exporter.a]\nurl = http://x/metrics\nmetric_keep = (\n', 'exporter.a', 'metric_keep', /invalid regular expression/);
  assertConfigError('[exporter.a]\nurl = http://x/metrics\njob = node\n', 'exporter.a', 'job', /already used by \[host\]/);
  assertConfigError('[labels]\ninstance = x\n', 'labels', 'instance', /set by edgepush/);
  assertConfigError('[host]\ncollector.nosuch = true\n', 'host', 'collector.nosuch', /unknown key/);
  assertConfigError('[bogus]\nx = 1\n', 'bogus', undefined, /unknown section/);
  assertConfigError(
    '[pushgateway.main]\nurl = http://x\npassword_file = /nonexistent/pw\nusername = u\n',
    'pushgateway.main',
    'password_file',
    /cannot read \/nonexistent\/pw: ENOENT/,
  );
  assertConfigError('[identity]\ninstance_from = dns\n', 'identity', 'instance_from', /must be one of/);
});

test('secrets never appear in error messages', () => {
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'token'), 'hunter2-token\n');
  assert.throws(
    () => configFromText(`[pushgateway.main]\nurl = http://x\nbearer_token = hunter2-inline\nbearer_token_file = ${dir}/token\n`),
    (err: Error) => !err.message.includes('hunter2') && /not both/.test(err.message),
  );
});

test('credentials in a URL are refused under every URL key, and no error quotes them', () => {
  const held = /must not hold credentials/;
  const cases: Array<[string, string, string, RegExp]> = [
    ['[pushgateway.main]\nurl = http://user:s3cret@gw.example:9091\n', 'pushgateway.main', 'url', held],
    ['[exporter.a]\nurl = http://127.0.0.1:9113/metrics\nproxy_url = http://user:s3cret@proxy.example:3128\n', 'exporter.a', 'proxy_url', held],
    ['[remote_write.rw]\nurl = http://:s3cret@rw.example/api/v1/write\n', 'remote_write.rw', 'url', held],
    ['[remote_config]\nurl = https://user:s3cret@config.example/{instance}.ini\n', 'remote_config', 'url', held],
    ['[pushgateway.main]\nurl = ftp://user:s3cret@gw.example\n', 'pushgateway.main', 'url', held],
    ['[pushgateway.main]\nurl = "http://user:s3cret@[gw.example/"\n', 'pushgateway.main', 'url', /invalid URL "http:\/\/\*\*\*@\[gw\.example\/"/],
    ['[remote_config]\nurl = "http://user:s3 cret@/{instance}"\n', 'remote_config', 'url', /invalid URL/],
  ];
  for (const [text, section, key, pattern] of cases) {
    assertConfigError(`[identity]\ninstance = box\n${text}`, section, key, pattern);
    assert.throws(
      () => configFromText(`[identity]\ninstance = box\n${text}`),
      (err: Error) => !err.message.includes('s3') && !err.message.includes('cret'),
      text,
    );
  }
  // {instance} is filled in before the check: an instance does not turn into a user name either.
  assertConfigError('[identity]\ninstance = box\n[remote_config]\nurl = http://{instance}@config.example/\n', 'remote_config', 'url', held);
});

test('layers: defaults < config file < conf.d (sorted) < flags, errors name the file', () => {
  const dir = tmpDir();
  const defaults = path.join(dir, 'defaults.ini');
  const file = path.join(dir, 'edgepush.ini');
  mkdirSync(path.join(dir, 'conf.d'));
  writeFileSync(defaults, '[agent]\ninterval = 20s\nlog_level = warn\n[identity]\ninstance = from-defaults\n');
  writeFileSync(file, '[agent]\ninterval = 25s\n[pushgateway.a]\nurl = http://a:9091\n');
  writeFileSync(path.join(dir, 'conf.d', '20-b.ini'), '[agent]\ninterval = 40s\n');
  writeFileSync(path.join(dir, 'conf.d', '10-a.ini'), '[agent]\ninterval = 30s\n[exporter.x]\nurl = http://127.0.0.1:1/metrics\n');
  writeFileSync(path.join(dir, 'conf.d', 'ignored.txt'), 'garbage');
  const c = loadConfig({ defaultsFile: defaults, configFile: file });
  assert.equal(c.agent.intervalSeconds, 40);
  assert.equal(c.agent.logLevel, 'warn');
  assert.equal(c.identity.instance, 'from-defaults');
  assert.deepEqual(c.files, [defaults, file, path.join(dir, 'conf.d', '10-a.ini'), path.join(dir, 'conf.d', '20-b.ini')]);
  assert.deepEqual(
    c.exporters.map((e) => e.name),
    ['x'],
  );

  const flagged = loadConfig({
    defaultsFile: defaults,
    configFile: file,
    flags: new Map<string, unknown>([
      ['interval', '50s'],
      ['instance', 'flag-box'],
      ['collector.loadavg', false],
    ]),
  });
  assert.equal(flagged.agent.intervalSeconds, 50);
  assert.equal(flagged.identity.instance, 'flag-box');
  assert.equal(flagged.host.source.enabled.has('loadavg'), false);

  writeFileSync(path.join(dir, 'conf.d', '30-bad.ini'), '[exporter.y]\nurl = http://127.0.0.1:1/metrics\nsize_limit = lots\n');
  assert.throws(
    () => loadConfig({ defaultsFile: defaults, configFile: file }),
    (err: Error) => err.message.startsWith(`${path.join(dir, 'conf.d', '30-bad.ini')}: [exporter.y] size_limit:`),
  );
  assert.throws(() => loadConfig({ configFile: path.join(dir, 'missing.ini') }), /cannot read: ENOENT/);
});

test('identity from a file or machine-id', () => {
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'node-name'), 'box-from-file\nsecond line\n');
  writeFileSync(path.join(dir, 'machine-id'), '0123456789abcdef\n');
  assert.equal(configFromText(`[identity]\ninstance_from = file\ninstance_file = ${dir}/node-name\n`).identity.instance, 'box-from-file');
  assert.equal(configFromText(`[identity]\ninstance_from = machine-id\nmachine_id_file = ${dir}/machine-id\n`).identity.instance, '0123456789abcdef');
  assert.equal(configFromText('').identity.instance, os.hostname());
  writeFileSync(path.join(dir, 'push.env'), 'PUSH_INTERVAL=15\nexport NODE_NAME="box-from-env"\n');
  assert.equal(
    configFromText(`[identity]\ninstance_from = file\ninstance_file = ${dir}/push.env\ninstance_file_variable = NODE_NAME\n`).identity.instance,
    'box-from-env',
  );
  assert.throws(
    () => configFromText(`[identity]\ninstance_from = file\ninstance_file = ${dir}/push.env\ninstance_file_variable = NODE\n`),
    /\[identity\] instance_file_variable: .*sets no variable NODE/,
  );
});

test('enabled = false in a later layer switches off a section; list values with key[]', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'edgepush.ini');
  mkdirSync(path.join(dir, 'conf.d'));
  writeFileSync(
    file,
    '[exporter.app]\nurl = http://127.0.0.1:9/metrics\n[pushgateway.a]\nurl = http://a:9091\n[host]\ncollector.textfile.directory[] = /a\ncollector.textfile.directory[] = /b\n',
  );
  writeFileSync(path.join(dir, 'conf.d', 'off.ini'), '[exporter.app]\nenabled = false\n[pushgateway.a]\nenabled = no\n');
  const c = loadConfig({ defaultsFile: path.join(dir, 'none.ini'), configFile: file });
  assert.deepEqual(c.exporters, []);
  assert.deepEqual(c.sinks, []);
  assert.deepEqual(c.host.source.options?.get('collector.textfile.directory'), ['/a', '/b']);
});

test('a reload after a TLS file rotation (same paths, new contents) changes the sink fingerprint, so the sink is rebuilt', () => {
  const dir = tmpDir();
  const ca = path.join(dir, 'ca.pem');
  const file = path.join(dir, 'edgepush.ini');
  writeFileSync(file, `[pushgateway.a]\nurl = https://gw.example:9091\ntls_ca_file = ${ca}\n[pushgateway.b]\nurl = http://gw.example:9091\n`);
  const fingerprints = (): string[] => loadConfig({ defaultsFile: path.join(dir, 'none.ini'), configFile: file }).sinks.map((s) => s.fingerprint);
  writeFileSync(ca, 'first CA\n');
  const [a1, b1] = fingerprints();
  const [a2, b2] = fingerprints();
  assert.equal(a2, a1, 'unchanged files: the running sink is kept');
  writeFileSync(ca, 'rotated CA\n');
  const [a3, b3] = fingerprints();
  assert.notEqual(a3, a1, 'rotated CA: the sink is rebuilt');
  assert.equal(b2, b1);
  assert.equal(b3, b1, 'a sink without TLS files is not affected');
});

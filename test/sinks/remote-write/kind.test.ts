import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { configFromText } from '../../../src/config/config.ts';
import { ConfigError } from '../../../src/config/schema.ts';
import { createLogger } from '../../../src/log.ts';
import { remoteWriteKind } from '../../../src/sinks/remote-write/kind.ts';
import { RemoteWriteSink, type RemoteWriteConfig } from '../../../src/sinks/remote-write/remote-write-sink.ts';

test('[remote_write.<name>] sections are typed, with defaults', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rwcfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'token'), 'tok\n');
  const c = configFromText(`
[identity]
instance = box-1
[remote_write.vm]
url = http://127.0.0.1:8428/api/v1/write
bearer_token_file = ${path.join(dir, 'token')}
headers[] = X-Scope-OrgID: tenant-1
headers[] = X-Other: a: b
queue_max_size = 10MiB
queue_max_age = 0
queue_flush_interval = 0
max_samples_per_second = 0
[remote_write.prom]
url = https://prom.example/api/v1/write
timeout = 2s
`);
  assert.deepEqual(
    c.sinks.map((s) => s.name),
    ['remote_write.prom', 'remote_write.vm'],
  );
  const prom = c.sinks[0]!.config as RemoteWriteConfig;
  assert.equal(prom.http.timeoutSeconds, 2);
  const { http: _http, ...promSettings } = prom;
  assert.deepEqual(promSettings, {
    url: 'https://prom.example/api/v1/write',
    headers: {},
    queueMaxBytes: 256 * 1024 * 1024,
    queueMaxAgeMs: 7 * 86_400_000,
    queueFlushIntervalMs: 300_000,
    maxSamplesPerSend: 2000,
    maxBytesPerSend: 4 * 1024 * 1024,
    backoff: { minMs: 30, maxMs: 5000 },
    maxRetryAfterMs: 300_000,
    maxSamplesPerSecond: 50_000,
  });
  const vm = c.sinks[1]!.config as RemoteWriteConfig;
  assert.equal(vm.http.bearerToken, 'tok');
  assert.equal(vm.http.timeoutSeconds, 30);
  assert.deepEqual(vm.headers, { 'X-Scope-OrgID': 'tenant-1', 'X-Other': 'a: b' });
  assert.equal(vm.queueMaxBytes, 10 * 1024 * 1024);
  assert.equal(vm.queueMaxAgeMs, 0);
  assert.equal(vm.queueFlushIntervalMs, 0);
  assert.equal(vm.maxSamplesPerSecond, 0);
  assert.equal(vm.drainStartRate, undefined, 'not set: the sender starts from a hundredth of the bound');
});

test('drain_start_rate: a rate up to max_samples_per_second, or 0 for no adaptation', () => {
  const start = (keys: string): number | undefined =>
    (configFromText(`[identity]\ninstance = b\n[remote_write.x]\nurl = http://x/\n${keys}\n`).sinks[0]!.config as RemoteWriteConfig).drainStartRate;
  assert.equal(start('drain_start_rate = 2000'), 2000);
  assert.equal(start('drain_start_rate = 0'), 0);
  assert.equal(start('max_samples_per_second = 0\ndrain_start_rate = 5000'), 5000, 'no bound: nothing to be above');
});

test('bad remote_write keys are errors naming section and key', () => {
  const bad = (body: string, key: string, why: RegExp): void => {
    assert.throws(
      () => configFromText(`[identity]\ninstance = b\n[remote_write.x]\n${body}\n`),
      (err: unknown) => err instanceof ConfigError && err.section === 'remote_write.x' && err.key === key && why.test(err.message),
      body,
    );
  };
  bad('timeout = 1s', 'url', /required/);
  bad('url = ftp://x/', 'url', /http/);
  bad('url = http://x/\nheaders[] = nocolon', 'headers', /Name: value/);
  bad('url = http://x/\nheaders[] = Content-Encoding: gzip', 'headers', /set by edgepush/);
  bad('url = http://x/\nmin_backoff = 10s\nmax_backoff = 1s', 'max_backoff', /min_backoff/);
  bad('url = http://x/\nmax_samples_per_send = 0', 'max_samples_per_send', /between 1 and/);
  bad('url = http://x/\nqueue_flush_interval = 2h', 'queue_flush_interval', /between/);
  bad('url = http://x/\nqueue_max_size = lots', 'queue_max_size', /invalid size/);
  bad('url = http://x/\nqueue_max_sise = 1MiB', 'queue_max_sise', /unknown key/);
  bad('url = http://x/\ndrain_start_rate = -1', 'drain_start_rate', /0 or between 1 and 10000000/);
  bad('url = http://x/\ndrain_start_rate = fast', 'drain_start_rate', /integer/);
  bad('url = http://x/\nmax_samples_per_second = 1000\ndrain_start_rate = 2000', 'drain_start_rate', /not be above max_samples_per_second \(1000\)/);
});

test('a [remote_write] section creates the remote-write sink itself, with its connection settings', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rwkind-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const c = configFromText('[remote_write.a]\nurl = http://127.0.0.1:9/api/v1/write\ntimeout = 2s\n');
  const sink = remoteWriteKind.create('remote_write.a', c.sinks[0]!.config as RemoteWriteConfig, {
    log: createLogger(),
    registry: new Registry(),
    stateDir: dir,
  });
  t.after(() => sink.close());
  assert.ok(sink instanceof RemoteWriteSink, 'no adapter between the agent and the sink');
  assert.equal(sink.config.http.timeoutSeconds, 2);
  assert.equal(sink.dir, path.join(dir, 'remote-write', 'remote_write.a'));
});

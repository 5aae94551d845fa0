/**
 * The [remote_write.*] connection settings end to end, through the config
 * reader and the sink kind: mutual TLS to a real Prometheus (its
 * --web.config.file, certificates made here with openssl), and basic auth to a
 * real VictoriaMetrics (-httpAuth.*), with the password from a file, and
 * through an HTTP CONNECT proxy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { type Agent as UndiciAgent, request } from 'undici';
import { ensurePeer } from '../../scripts/lib/peers.ts';
import { configFromText } from '../../src/config/config.ts';
import { createLogger, setLogSink } from '../../src/log.ts';
import { remoteWriteKind } from '../../src/sinks/remote-write/kind.ts';
import type { RemoteWriteConfig } from '../../src/sinks/remote-write/remote-write-sink.ts';
import type { Batch } from '../../src/model/batch.ts';
import type { Sink } from '../../src/sinks/sink.ts';
import { freePort, missingPeers, startVictoriaMetrics, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';
import { startConnectProxy } from '../helpers/proxy.ts';
import { makeMutualTlsFiles, mutualTlsClient, opensslMissing, waitTlsReady } from '../helpers/tls.ts';

const skip = missingPeers('prometheus', 'victoriametrics') ?? opensslMissing() ?? false;
let dir: string;
let prometheus: ChildProcess | undefined;
let promUrl: string;
let vm: RunningServer | undefined;
let probe: UndiciAgent;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-rw-tls-'));
  const webConfig = makeMutualTlsFiles(dir, 'receiver.test');
  writeFileSync(path.join(dir, 'prometheus.yml'), 'scrape_configs: []\n');
  const port = await freePort();
  promUrl = `https://127.0.0.1:${port}`;
  prometheus = spawn(
    ensurePeer('prometheus').prometheus,
    [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/tsdb`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.config.file=${webConfig}`,
      '--web.enable-remote-write-receiver',
    ],
    { stdio: 'ignore' },
  );
  probe = mutualTlsClient(dir);
  await waitTlsReady('TLS Prometheus', promUrl, probe, 30_000);
  vm = await startVictoriaMetrics(['-httpAuth.username=edge', '-httpAuth.password=s3cret-pw']);
  writeFileSync(path.join(dir, 'vm.password'), 's3cret-pw\n');
});

after(async () => {
  prometheus?.kill('SIGTERM');
  await probe?.close();
  await vm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let cycle = 0;
function batch(metric: string): Batch {
  cycle++;
  return {
    cycle,
    identity: { instance: 'tls-box' },
    sources: [
      {
        source: 'self',
        job: 'tls',
        up: true,
        timestampMs: Date.now(),
        families: [{ name: metric, type: 'gauge', samples: [{ name: metric, labels: {}, value: cycle }] }],
      },
    ],
    deadlineMs: Date.now() + 5000,
  };
}

/** Creates the sink from INI text as the agent does, pushes one cycle, waits for the sender's verdict. */
async function pushOnce(
  section: string,
  metric: string,
): Promise<{ ok: number; retry: number; rejected: number; lastError: string | undefined; logs: string }> {
  const cfg = configFromText(`[remote_write.t]\n${section}\nqueue_dir = ${mkdtempSync(path.join(dir, 'q-'))}\nmin_backoff = 20ms\nmax_backoff = 100ms\n`);
  const registry = new Registry();
  const logs: string[] = [];
  const prev = setLogSink((l) => logs.push(l));
  const sink: Sink = remoteWriteKind.create('remote_write.t', cfg.sinks[0]!.config as RemoteWriteConfig, { log: createLogger(), registry, stateDir: dir });
  try {
    const report = await sink.push(batch(metric), new AbortController().signal);
    assert.equal(report.ok, true, report.error);
    const read = async (name: string, label = ''): Promise<number> => {
      const m = new RegExp(`^${name}\\{sink="remote_write.t"${label}\\} (\\S+)$`, 'm').exec(await registry.metrics());
      return m ? Number(m[1]) : 0;
    };
    const requests = (result: string): Promise<number> => read('edgepush_remote_write_requests_total', `,result="${result}"`);
    await waitFor('a verdict', async () => (await requests('success')) > 0 || (await requests('rejected')) > 0 || (await requests('retried')) >= 2);
    return {
      ok: await requests('success'),
      retry: await requests('retried'),
      rejected: await requests('rejected'),
      lastError: logs.find((l) => l.includes('failing'))?.replace(/.*reason=/, ''),
      logs: logs.join(''),
    };
  } finally {
    await sink.close();
    setLogSink(prev);
  }
}

test('mutual TLS to Prometheus: our CA and client certificate are accepted, a missing client certificate or unknown CA is not', { skip }, async () => {
  const tls = `tls_ca_file = ${dir}/ca.pem\ntls_cert_file = ${dir}/client.pem\ntls_key_file = ${dir}/client.key`;
  const good = await pushOnce(`url = ${promUrl}/api/v1/write\n${tls}\ntls_server_name = receiver.test`, 'rw_tls_ok');
  assert.equal(good.ok, 1, good.logs);
  const res = await request(`${promUrl}/api/v1/query?query=rw_tls_ok`, { dispatcher: probe });
  const body = (await res.body.json()) as { data: { result: Array<{ metric: Record<string, string> }> } };
  assert.deepEqual(body.data.result[0]?.metric, { __name__: 'rw_tls_ok', instance: 'tls-box', job: 'tls' });

  const noClientCert = await pushOnce(`url = ${promUrl}/api/v1/write\ntls_ca_file = ${dir}/ca.pem`, 'rw_tls_nocert');
  assert.equal(noClientCert.ok, 0);
  assert.ok(noClientCert.retry >= 2);
  const unknownCa = await pushOnce(`url = ${promUrl}/api/v1/write\ntls_cert_file = ${dir}/client.pem\ntls_key_file = ${dir}/client.key`, 'rw_tls_noca');
  assert.equal(unknownCa.ok, 0);
  assert.match(unknownCa.lastError ?? '', /SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i);
  const wrongName = await pushOnce(`url = ${promUrl}/api/v1/write\n${tls}\ntls_server_name = other.test`, 'rw_tls_name');
  assert.equal(wrongName.ok, 0);
});

test('basic auth to VictoriaMetrics with password_file; a wrong password is a 401, dropped not retried, and never logged', { skip }, async () => {
  const good = await pushOnce(`url = ${vm!.url}/api/v1/write\nusername = edge\npassword_file = ${dir}/vm.password`, 'rw_auth_ok');
  assert.equal(good.ok, 1, good.logs);
  const bad = await pushOnce(`url = ${vm!.url}/api/v1/write\nusername = edge\npassword = wrong-pw`, 'rw_auth_bad');
  assert.equal(bad.ok, 0);
  assert.equal(bad.retry, 0);
  assert.equal(bad.rejected, 1);
  assert.match(bad.logs, /rejected a block; dropped.*status=401/);
  assert.doesNotMatch(good.logs + bad.logs, /s3cret-pw|wrong-pw/);
});

test('proxy_url: requests go through the proxy', { skip }, async () => {
  const proxy = await startConnectProxy();
  try {
    const r = await pushOnce(`url = ${vm!.url}/api/v1/write\nusername = edge\npassword_file = ${dir}/vm.password\nproxy_url = ${proxy.url}`, 'rw_proxy_ok');
    assert.equal(r.ok, 1, r.logs);
    assert.deepEqual(proxy.tunnels, [`127.0.0.1:${vm!.port}`]);
  } finally {
    await proxy.close();
  }
});

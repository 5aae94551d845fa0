/**
 * TLS to a real Pushgateway (its --web.config.file): server verification with
 * tls_ca_file, mutual TLS with tls_cert_file/tls_key_file, and
 * tls_insecure_skip_verify. Certificates are made here with openssl.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { ensurePeer } from '../../scripts/lib/peers.ts';
import { configFromText } from '../../src/config/config.ts';
import { createLogger } from '../../src/log.ts';
import { FamilySet } from '../../src/model/family.ts';
import { PushgatewaySink, type PushgatewayConfig } from '../../src/sinks/pushgateway.ts';
import type { Batch } from '../../src/model/batch.ts';
import { freePort, missingPeers } from '../helpers/servers.ts';
import { makeMutualTlsFiles, mutualTlsClient, opensslMissing, waitTlsReady } from '../helpers/tls.ts';

const skip = missingPeers('pushgateway') ?? opensslMissing() ?? false;
let dir: string;
let gateway: ChildProcess | undefined;
let url: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-tls-'));
  const webConfig = makeMutualTlsFiles(dir, 'gateway.test');
  const port = await freePort();
  url = `https://127.0.0.1:${port}`;
  gateway = spawn(ensurePeer('pushgateway').pushgateway, [`--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${webConfig}`], { stdio: 'ignore' });
  const probe = mutualTlsClient(dir);
  await waitTlsReady('TLS pushgateway', url, probe);
  await probe.close();
});

after(() => {
  gateway?.kill('SIGTERM');
});

function sink(extra: string): PushgatewaySink {
  const cfg = configFromText(`[pushgateway.tls]\nurl = ${url}\nretries = 0\n${extra}`);
  return new PushgatewaySink('pushgateway.tls', cfg.sinks[0]!.config as PushgatewayConfig, { log: createLogger(), registry: new Registry(), stateDir: dir });
}

function batch(): Batch {
  const f = new FamilySet();
  f.gauge('tls_demo', 'Pushed over TLS.', 1);
  return {
    cycle: 1,
    identity: { instance: 'tls-box' },
    sources: [{ source: 'self', job: 'tls', up: true, families: f.toArray(), timestampMs: Date.now() }],
    deadlineMs: Date.now() + 5000,
  };
}

async function push(extra: string): Promise<{ ok: boolean; error?: string }> {
  const s = sink(extra);
  try {
    return await s.push(batch(), new AbortController().signal);
  } finally {
    await s.close();
  }
}

test('mutual TLS with our CA and client certificate succeeds', { skip }, async () => {
  const r = await push(`tls_ca_file = ${dir}/ca.pem\ntls_cert_file = ${dir}/client.pem\ntls_key_file = ${dir}/client.key\n`);
  assert.equal(r.ok, true, r.error);
});

test('tls_server_name verifies the certificate against another name', { skip }, async () => {
  const r = await push(`tls_ca_file = ${dir}/ca.pem\ntls_cert_file = ${dir}/client.pem\ntls_key_file = ${dir}/client.key\ntls_server_name = gateway.test\n`);
  assert.equal(r.ok, true, r.error);
  const wrong = await push(`tls_ca_file = ${dir}/ca.pem\ntls_cert_file = ${dir}/client.pem\ntls_key_file = ${dir}/client.key\ntls_server_name = other.test\n`);
  assert.equal(wrong.ok, false);
});

test('an unknown CA is refused unless verification is skipped; no client certificate is refused by the gateway', { skip }, async () => {
  const unverified = await push(`tls_cert_file = ${dir}/client.pem\ntls_key_file = ${dir}/client.key\n`);
  assert.equal(unverified.ok, false);
  assert.match(unverified.error ?? '', /SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i);
  const skipped = await push(`tls_cert_file = ${dir}/client.pem\ntls_key_file = ${dir}/client.key\ntls_insecure_skip_verify = true\n`);
  assert.equal(skipped.ok, true, skipped.error);
  const noClientCert = await push(`tls_ca_file = ${dir}/ca.pem\n`);
  assert.equal(noClientCert.ok, false);
});

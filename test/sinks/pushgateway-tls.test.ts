/**
 * TLS to a real Pushgateway (its --web.config.file): server verification with
 * tls_ca_file, mutual TLS with tls_cert_file/tls_key_file, and
 * tls_insecure_skip_verify. Certificates are made here with openssl.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { Agent as UndiciAgent, request } from 'undici';
import { ensurePeer } from '../../scripts/lib/peers.ts';
import { configFromText } from '../../src/config/config.ts';
import { createLogger } from '../../src/log.ts';
import { FamilySet } from '../../src/model/family.ts';
import { PushgatewaySink, type PushgatewayConfig } from '../../src/sinks/pushgateway.ts';
import type { Batch } from '../../src/sinks/sink.ts';
import { freePort, missingPeers } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';

function opensslMissing(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'openssl not installed';
  }
}

const skip = missingPeers('pushgateway') ?? opensslMissing() ?? false;
let dir: string;
let gateway: ChildProcess | undefined;
let url: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=edgepush test CA');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:gateway.test\n');
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', 'san.ext');
  }
  writeFileSync(path.join(dir, 'web.yml'), `tls_server_config:\n  cert_file: ${dir}/server.pem\n  key_file: ${dir}/server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${dir}/ca.pem\n`);
  const port = await freePort();
  url = `https://127.0.0.1:${port}`;
  gateway = spawn(ensurePeer('pushgateway').pushgateway, [`--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${dir}/web.yml`], { stdio: 'ignore' });
  const probe = new UndiciAgent({ connect: { ca: readFileSync(`${dir}/ca.pem`), cert: readFileSync(`${dir}/client.pem`), key: readFileSync(`${dir}/client.key`) } });
  await waitFor('TLS pushgateway', async () => {
    const res = await request(`${url}/-/ready`, { dispatcher: probe });
    await res.body.dump();
    return res.statusCode === 200;
  });
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
  return { cycle: 1, identity: { instance: 'tls-box' }, sources: [{ source: 'self', job: 'tls', up: true, families: f.toArray(), timestampMs: Date.now() }], deadlineMs: Date.now() + 5000 };
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

/**
 * Certificates for tests of TLS against real servers: a throwaway CA, a server
 * and a client certificate made with openssl, and the Prometheus-style
 * --web.config.file that requires the client certificate (Prometheus and the
 * Pushgateway share that format).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent as UndiciAgent, request } from 'undici';
import { waitFor } from './wait.ts';

/** A skip reason when openssl is not installed, else undefined. */
export function opensslMissing(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'openssl not installed';
  }
}

/**
 * Writes ca.pem, server.pem/key, client.pem/key (both valid for 127.0.0.1 and
 * `dnsName`) and web.yml (mutual TLS) into `dir`; returns web.yml's path.
 */
export function makeMutualTlsFiles(dir: string, dnsName: string): string {
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=edgepush test CA');
  writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=IP:127.0.0.1,DNS:${dnsName}\n`);
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      'san.ext',
    );
  }
  const webConfig = path.join(dir, 'web.yml');
  writeFileSync(
    webConfig,
    `tls_server_config:\n  cert_file: ${dir}/server.pem\n  key_file: ${dir}/server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${dir}/ca.pem\n`,
  );
  return webConfig;
}

/** An HTTP client presenting the client certificate of `dir` and trusting its CA. */
export function mutualTlsClient(dir: string): UndiciAgent {
  return new UndiciAgent({ connect: { ca: readFileSync(`${dir}/ca.pem`), cert: readFileSync(`${dir}/client.pem`), key: readFileSync(`${dir}/client.key`) } });
}

/** Polls `${url}/-/ready` over mutual TLS until it answers 200. */
export async function waitTlsReady(what: string, url: string, client: UndiciAgent, timeoutMs?: number): Promise<void> {
  await waitFor(
    what,
    async () => {
      const res = await request(`${url}/-/ready`, { dispatcher: client });
      await res.body.dump();
      return res.statusCode === 200;
    },
    timeoutMs === undefined ? {} : { timeoutMs },
  );
}

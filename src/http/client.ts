/**
 * The HTTP client settings every pushing sink shares (auth, TLS, proxy,
 * timeout), as config keys and as an undici dispatcher. One dispatcher per
 * sink: each gateway has its own keep-alive pool, so a slow one cannot starve
 * the others' connections.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, ProxyAgent, type Dispatcher } from './request.ts';
import { secretKeys, type KeySpec, type SectionReader } from '../config/schema.ts';
import { displayName } from '../quote.ts';

export interface HttpClientConfig {
  /** Per-request timeout, seconds. */
  timeoutSeconds: number;
  username?: string;
  password?: string;
  bearerToken?: string;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsServerName?: string;
  tlsInsecureSkipVerify: boolean;
  proxyUrl?: string;
  /**
   * What the TLS files held when the configuration was read. It is part of
   * the sink's fingerprint, so a reload after a certificate rotation (same
   * paths, new contents) rebuilds the sink with the new files instead of
   * keeping the old ones in its running dispatcher.
   */
  tlsFilesSha256?: string;
}

export const HTTP_CLIENT_KEYS: readonly KeySpec[] = [
  { key: 'timeout', kind: 'duration', default: '5s', min: '100ms', max: '5m', help: 'Timeout of one HTTP request (connect, headers and body).' },
  { key: 'username', kind: 'string', connection: true, help: 'Basic auth user name.' },
  ...secretKeys('password', 'Basic auth password.'),
  ...secretKeys('bearer_token', 'Bearer token sent in the Authorization header.'),
  { key: 'tls_ca_file', kind: 'path', connection: true, help: 'CA certificate(s) (PEM) to verify the server with, instead of the system ones.' },
  { key: 'tls_cert_file', kind: 'path', connection: true, help: 'Client certificate (PEM) for mutual TLS.' },
  { key: 'tls_key_file', kind: 'path', connection: true, help: 'Client private key (PEM) for mutual TLS.' },
  { key: 'tls_server_name', kind: 'string', connection: true, help: 'Server name to verify the certificate against (SNI).' },
  { key: 'tls_insecure_skip_verify', kind: 'bool', connection: true, default: 'false', help: 'Do not verify the server certificate. For tests only.' },
  { key: 'proxy_url', kind: 'url', connection: true, help: 'HTTP(S) proxy to go through (CONNECT for https).' },
];

/** `defaultTimeoutSeconds` applies when the section's keys have no timeout default of their own. */
export function readHttpClientConfig(r: SectionReader, defaultTimeoutSeconds = 5): HttpClientConfig {
  const cfg: HttpClientConfig = {
    timeoutSeconds: r.duration('timeout') ?? defaultTimeoutSeconds,
    tlsInsecureSkipVerify: r.bool('tls_insecure_skip_verify') ?? false,
  };
  const username = r.string('username');
  const password = r.secret('password');
  const bearerToken = r.secret('bearer_token');
  if (password !== undefined && username === undefined) throw r.error('password', 'a password needs a username');
  if (username !== undefined && bearerToken !== undefined) throw r.error('bearer_token', 'give basic auth (username/password) or a bearer token, not both');
  if (username !== undefined) cfg.username = username;
  if (password !== undefined) cfg.password = password;
  if (bearerToken !== undefined) cfg.bearerToken = bearerToken;
  const tls = readTlsFiles(r, ['tls_ca_file', 'tls_cert_file', 'tls_key_file']);
  if (tls.files['tls_ca_file']) cfg.tlsCaFile = tls.files['tls_ca_file'];
  if (tls.files['tls_cert_file']) cfg.tlsCertFile = tls.files['tls_cert_file'];
  if (tls.files['tls_key_file']) cfg.tlsKeyFile = tls.files['tls_key_file'];
  if (tls.sha256) cfg.tlsFilesSha256 = tls.sha256;
  if ((cfg.tlsCertFile === undefined) !== (cfg.tlsKeyFile === undefined))
    throw r.error(cfg.tlsCertFile ? 'tls_key_file' : 'tls_cert_file', 'tls_cert_file and tls_key_file go together');
  const serverName = r.string('tls_server_name');
  if (serverName) cfg.tlsServerName = serverName;
  const proxy = r.url('proxy_url');
  if (proxy) cfg.proxyUrl = proxy.href;
  return cfg;
}

/**
 * The TLS files a section names, checked readable now (so a bad path is a
 * config error naming the key), with one digest of their contents. The
 * digest goes into the sink's fingerprint: a reload after a certificate
 * rotation (same paths, new contents) rebuilds the sink, instead of keeping
 * the old files in a running dispatcher or server.
 */
export function readTlsFiles(r: SectionReader, keys: readonly string[]): { files: Record<string, string>; sha256?: string } {
  const files: Record<string, string> = {};
  const digest = createHash('sha256');
  for (const key of keys) {
    const file = r.string(key);
    if (file === undefined || file === '') continue;
    try {
      digest.update(`${key}\0`).update(readFileSync(file));
    } catch (err) {
      throw r.error(key, `cannot read ${displayName(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    files[key] = file;
  }
  return Object.keys(files).length ? { files, sha256: digest.digest('hex') } : { files };
}

/** Authorization header value, or undefined. */
export function authorizationHeader(cfg: HttpClientConfig): string | undefined {
  if (cfg.bearerToken !== undefined) return `Bearer ${cfg.bearerToken}`;
  if (cfg.username !== undefined) return `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`;
  return undefined;
}

/** A keep-alive dispatcher for one sink or exporter, with its TLS and proxy settings. */
export function createDispatcher(cfg: HttpClientConfig): Dispatcher {
  const ms = Math.ceil(cfg.timeoutSeconds * 1000);
  const tls: Record<string, unknown> = { rejectUnauthorized: !cfg.tlsInsecureSkipVerify };
  if (cfg.tlsCaFile) tls['ca'] = readFileSync(cfg.tlsCaFile);
  if (cfg.tlsCertFile) tls['cert'] = readFileSync(cfg.tlsCertFile);
  if (cfg.tlsKeyFile) tls['key'] = readFileSync(cfg.tlsKeyFile);
  if (cfg.tlsServerName) tls['servername'] = cfg.tlsServerName;
  const common = { connectTimeout: ms, headersTimeout: ms, bodyTimeout: ms, keepAliveTimeout: 60_000, connections: 4 };
  if (cfg.proxyUrl) return new ProxyAgent({ uri: cfg.proxyUrl, requestTls: tls, ...common });
  return new Agent({ connect: tls, ...common });
}

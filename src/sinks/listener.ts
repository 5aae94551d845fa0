/**
 * The listener sink: serves the latest cycle at http://<address>/metrics for
 * whatever can reach the box after all (a Prometheus or an agent on the same
 * network, an SRE with curl on the box). Every source's families are merged
 * into one exposition the way a Pushgateway's /metrics shows its groups: each
 * sample carries its source's `job` and the box's identity labels, so a
 * scrape with `honor_labels: true` stores exactly the series the Pushgateway
 * sink would, with each source's own `up`.
 *
 * It serves what the last cycle collected, without timestamps (the scrape
 * stamps them, as for a Pushgateway); remote write is the sink with real
 * timestamps. The port is bound at the first push, so `edgepush decommission`
 * and the like never open it; a bind failure (address in use, a port below
 * 1024 without the capability) fails only this sink and is retried every
 * cycle. For a port others can reach: HTTPS (tls_cert_file/tls_key_file) and
 * basic auth (username/password), as node_exporter's web config offers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { secretKeys, type KeySpec, type SectionReader } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { displayName, quoteInput } from '../quote.ts';
import type { MetricFamily } from '../model/family.ts';
import { applyTargetLabels } from '../model/target-labels.ts';
import { encodeText, TEXT_CONTENT_TYPE } from '../model/text-encoder.ts';
import { Counter, perRegistry } from '../prom.ts';
import { readTlsFiles } from '../http/client.ts';
import { gzipBody } from '../http/gzip.ts';
import { ConnectionCap } from './listener-connections.ts';
import type { Batch, PushReport } from '../model/batch.ts';
import type { Sink, SinkContext, SinkKind } from './sink.ts';
import { StateLog } from '../state-log.ts';

/**
 * node:https and node:tls only for a listener with TLS: loaded at the first
 * use, so that the agents without one do not keep their code in the heap
 * (~0.1 MiB resident, issue 13).
 */
const httpsModule = (): typeof import('node:https') => process.getBuiltinModule('node:https');
const tlsModule = (): typeof import('node:tls') => process.getBuiltinModule('node:tls');

export interface ListenerAddress {
  /** Host to bind; undefined binds every interface. */
  host: string | undefined;
  port: number;
}

export interface ListenerConfig extends ListenerAddress {
  /** HTTPS with this certificate chain and key (PEM) when set. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Digest of the TLS files' contents: part of the fingerprint, so a reload after a rotation rebuilds the server. */
  tlsFilesSha256?: string;
  /** Basic auth every request must carry when set. */
  username?: string;
  password?: string;
}

const KEYS: readonly KeySpec[] = [
  {
    key: 'address',
    kind: 'string',
    connection: true,
    help: 'host:port to serve /metrics on, e.g. 127.0.0.1:9100, [::1]:9100, or :9100 for every interface. Required.',
  },
  { key: 'tls_cert_file', kind: 'path', connection: true, help: 'Serve HTTPS with this certificate (PEM, the chain after the leaf); with tls_key_file.' },
  { key: 'tls_key_file', kind: 'path', connection: true, help: 'Private key (PEM) of tls_cert_file.' },
  { key: 'username', kind: 'string', connection: true, help: 'Require basic auth with this user name (and password) on every request.' },
  ...secretKeys('password', 'Basic auth password required with username.'),
];

const MAX_CONNECTIONS = 32;
const REQUEST_TIMEOUT_MS = 10_000;
/** How often the server enforces its request timeouts: Node's default (30 s) would let a 10 s timeout run 40 s. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/** What a malformed request is answered, by the parser's error code (400 for the rest). */
const CLIENT_ERROR_STATUS: Readonly<Record<string, number>> = { HPE_HEADER_OVERFLOW: 431, ERR_HTTP_REQUEST_TIMEOUT: 408 };

const ADDRESS_RE = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/;

/** Parses `host:port`, `[v6]:port` or `:port`; throws a message saying what is wrong. */
export function parseListenAddress(address: string): ListenerAddress {
  const m = ADDRESS_RE.exec(address.trim());
  if (!m) throw new Error(`${quoteInput(address)} is not host:port ([v6]:port for IPv6, :port for every interface)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

/** `host:port`, `[v6]:port` or `:port`: the form parseListenAddress reads. */
function formatAddress({ host, port }: ListenerAddress): string {
  return `${host === undefined ? '' : host.includes(':') ? `[${host}]` : host}:${port}`;
}

export const listenerKind: SinkKind<ListenerConfig> = {
  section: 'listener',
  keys: KEYS,
  parse(r: SectionReader): ListenerConfig {
    const address = r.string('address');
    if (!address) throw r.error('address', 'is required, e.g. 127.0.0.1:9100');
    let config: ListenerConfig;
    try {
      config = parseListenAddress(address);
    } catch (err) {
      throw r.error('address', (err as Error).message);
    }
    const tls = readTlsFiles(r, ['tls_cert_file', 'tls_key_file']);
    const cert = tls.files['tls_cert_file'];
    const key = tls.files['tls_key_file'];
    if ((cert === undefined) !== (key === undefined)) throw r.error(cert ? 'tls_key_file' : 'tls_cert_file', 'tls_cert_file and tls_key_file go together');
    if (cert && key) {
      try {
        tlsModule().createSecureContext({ cert: readFileSync(cert), key: readFileSync(key) });
      } catch (err) {
        throw r.error('tls_cert_file', `${displayName(cert)} and ${displayName(key)} do not make a usable certificate: ${(err as Error).message}`);
      }
      Object.assign(config, { tlsCertFile: cert, tlsKeyFile: key, tlsFilesSha256: tls.sha256 });
    }
    const username = r.string('username');
    const password = r.secret('password');
    if ((username === undefined) !== (password === undefined))
      throw r.error(username === undefined ? 'username' : 'password', 'username and password go together');
    if (username !== undefined && password !== undefined) Object.assign(config, { username, password });
    return config;
  },
  create: (name, config, ctx) => new ListenerSink(name, config, ctx),
  describe: (config) =>
    `serving ${config.tlsCertFile ? 'https' : 'http'}://${formatAddress(config)}/metrics${config.username === undefined ? '' : ' (basic auth)'}`,
};

const requestCounter = perRegistry(
  (registry): Counter<'sink' | 'code'> =>
    new Counter({
      name: 'edgepush_listener_requests_total',
      help: 'HTTP requests to listener sinks, by status code.',
      labelNames: ['sink', 'code'],
      registers: [registry],
    }),
);

/** What the last cycle looks like on the wire: encoded at its first request, then reused until the next cycle. */
interface Exposition {
  text: Buffer;
  gzip?: Buffer;
}

export class ListenerSink implements Sink {
  readonly name: string;
  /** Only the latest cycle is served. */
  readonly coalesce = true;
  private readonly config: ListenerConfig;
  private readonly log: Logger;
  private readonly states: StateLog;
  private readonly requests: Counter<'sink' | 'code'>;
  private server: Server | undefined;
  private listening: Promise<void> | undefined;
  /** The last cycle, set by every push before the port is bound, so a request always finds one. */
  private batch: Batch | undefined;
  /** Its encoding, made by the first request after the push: a listener nobody scrapes costs nothing per cycle. */
  private exposition: Exposition | undefined;
  private closed = false;

  constructor(name: string, config: ListenerConfig, ctx: SinkContext) {
    this.name = name;
    this.config = config;
    this.log = ctx.log.child({ sink: name });
    this.states = new StateLog(this.log);
    this.requests = requestCounter(ctx.registry);
  }

  /** The bound address once listening (the real port when configured as 0). */
  address(): AddressInfo | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  async push(batch: Batch): Promise<PushReport> {
    this.batch = batch;
    this.exposition = undefined;
    try {
      await this.listen();
      this.states.report('listen', undefined);
      return { ok: true, bytesSent: 0 };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // A bind error is best said by its code (EADDRINUSE, EACCES); others (an unreadable certificate) by their message.
      const error = `cannot listen on ${formatAddress(this.config)}: ${e.syscall === 'listen' || e.syscall === 'bind' ? e.code : e.message}`;
      this.states.report('listen', error);
      return { ok: false, bytesSent: 0, error };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const server = this.server;
    this.server = undefined;
    this.listening = undefined;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Binds once; a failed bind is forgotten so the next push tries again. */
  private listen(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('closed'));
    this.listening ??= this.bind().catch((err: unknown) => {
      this.listening = undefined;
      throw err;
    });
    return this.listening;
  }

  private bind(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const { tlsCertFile, tlsKeyFile } = this.config;
      // Host is checked in answer(), after auth and counted, rather than by Node before any of it.
      const options: ServerOptions = { connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS, requireHostHeader: false };
      // The files are read at bind time: a reload after a rotation builds a new sink (fingerprint), which reads them again.
      const server =
        tlsCertFile && tlsKeyFile
          ? httpsModule().createServer({ ...options, cert: readFileSync(tlsCertFile), key: readFileSync(tlsKeyFile), handshakeTimeout: REQUEST_TIMEOUT_MS })
          : createServer(options);
      // A scraper needs one or two connections; a connection flood must not grow the agent's memory,
      // and a client that sends its request slowly, or does not read the answer, must not hold one for long.
      const connections = new ConnectionCap(server, MAX_CONNECTIONS, this.log);
      // After the cap's own listener, so a request is known to it while it is answered.
      server.on('request', (req: IncomingMessage, res: ServerResponse) => this.serve(req, res));
      server.headersTimeout = REQUEST_TIMEOUT_MS;
      server.requestTimeout = REQUEST_TIMEOUT_MS;
      server.timeout = REQUEST_TIMEOUT_MS;
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.refuse(err, socket, connections));
      server.once('error', reject);
      server.listen({ host: this.config.host, port: this.config.port }, () => {
        server.removeListener('error', reject);
        server.on('error', (err) => this.log.error('listener error', { err }));
        if (this.closed) {
          // close() ran while the bind was under way: nothing may keep the port.
          server.close();
          reject(new Error('closed'));
          return;
        }
        this.server = server;
        const a = this.address();
        this.log.info('listening', {
          address: formatAddress(a ? { host: a.address, port: a.port } : this.config),
          tls: Boolean(tlsCertFile),
          basic_auth: this.config.username !== undefined,
        });
        resolve();
      });
    });
  }

  /** Answers one request; nothing in it may throw into the server, where it would end the process. */
  private serve(req: IncomingMessage, res: ServerResponse): void {
    let code: number;
    try {
      code = this.answer(req, res);
    } catch (err) {
      code = 500;
      this.log.error('listener request failed', { err, method: req.method, path: req.url?.slice(0, 200) });
      if (res.headersSent) res.destroy();
      else res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal error\n');
    }
    this.requests.inc({ sink: this.name, code: String(code) });
  }

  /** Auth first: nothing of an unauthenticated request is looked at beyond its Authorization header. */
  private answer(req: IncomingMessage, res: ServerResponse): number {
    const text = (code: number, body: string, headers: Record<string, string> = {}): number => {
      res.writeHead(code, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(body);
      return code;
    };
    if (!this.authorized(req)) return text(401, 'Unauthorized\n', { 'www-authenticate': 'Basic realm="edgepush"' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'Method not allowed\n', { allow: 'GET, HEAD' });
    if (req.httpVersion === '1.1' && req.headers.host === undefined) return text(400, 'Missing Host header\n');
    const path = requestPath(req.url ?? '');
    if (path === undefined) return text(400, 'Bad request target\n');
    if (path === '/metrics') return this.serveMetrics(req, res);
    if (path === '/-/healthy' || path === '/-/ready') return text(200, 'OK\n');
    if (path === '/') return text(200, 'edgepush: the latest cycle is at /metrics\n');
    return text(404, 'Not found\n');
  }

  /**
   * What the HTTP parser refused (a malformed request line or header, headers too large or too
   * slow): answered with its status and closed, unless a response is already being written on
   * that connection, or the client is gone. Counted with the requests.
   */
  private refuse(err: NodeJS.ErrnoException, socket: Duplex, connections: ConnectionCap): void {
    if (err.code !== 'ECONNRESET' && socket.writable && !connections.responding(socket)) {
      const code = CLIENT_ERROR_STATUS[err.code ?? ''] ?? 400;
      socket.write(`HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      this.requests.inc({ sink: this.name, code: String(code) });
    }
    this.log.debug('malformed request refused', { err: err.code ?? err.message });
    socket.destroy();
  }

  private encode(): Exposition {
    const { families, conflicts } = mergeSources(this.batch ?? { identity: {}, sources: [] });
    this.states.report('conflict', conflicts.length ? `families left out, their type differs from another source's: ${conflicts.join('; ')}` : undefined);
    return { text: Buffer.from(encodeText(families)) };
  }

  /** Basic auth, when configured; compared in constant time, as digests so lengths do not leak either. */
  private authorized(req: IncomingMessage): boolean {
    const { username, password } = this.config;
    if (username === undefined || password === undefined) return true;
    const m = /^Basic +([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const given = createHash('sha256').update(Buffer.from(m[1]!, 'base64')).digest();
    const expected = createHash('sha256').update(`${username}:${password}`).digest();
    return timingSafeEqual(given, expected);
  }

  private serveMetrics(req: IncomingMessage, res: ServerResponse): number {
    const exposition = (this.exposition ??= this.encode());
    const headers: Record<string, string> = { 'content-type': TEXT_CONTENT_TYPE, vary: 'Accept-Encoding' };
    let body = exposition.text;
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      body = exposition.gzip ??= gzipBody(exposition.text);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return 200;
  }
}

/**
 * The path of a request-target without its query, as sent (no percent-decoding, which could
 * throw, nor dot-segment removal: a scraper asks for /metrics as it is): the origin form
 * (`/metrics?x`) or the absolute form HTTP/1.1 servers must accept (`http://box:9100/metrics`,
 * host ignored as the Host header is). Undefined for anything else (`*`, `host:port`, an
 * unparsable URL such as `http://[`), which is answered 400. Never throws.
 */
export function requestPath(target: string): string | undefined {
  if (target.startsWith('/')) return /^[^?#]*/.exec(target)![0];
  const absolute = /^https?:\/\/[^/?#]*(\/[^?#]*)?/i.exec(target);
  if (!absolute || !URL.canParse(target)) return undefined;
  return absolute[1] ?? '/';
}

/**
 * Every source's families with the source's `job` and the box's identity as
 * target labels, merged by name. A family whose type differs from the one
 * another source already gave under that name cannot share the exposition: it
 * is left out and named (the Pushgateway refuses such a push the same way).
 */
function mergeSources(batch: Pick<Batch, 'identity' | 'sources'>): { families: MetricFamily[]; conflicts: string[] } {
  const byName = new Map<string, { family: MetricFamily; source: string }>();
  const conflicts: string[] = [];
  for (const src of batch.sources) {
    for (const f of applyTargetLabels(src.families, { ...batch.identity, job: src.job }, true)) {
      const seen = byName.get(f.name);
      if (!seen) {
        byName.set(f.name, { family: { ...f, samples: [...f.samples] }, source: src.source });
      } else if (seen.family.type !== f.type) {
        conflicts.push(`${f.name} (${f.type} in ${src.source}, ${seen.family.type} in ${seen.source})`);
      } else {
        // A loop, not push(...samples): a 100,000-series exporter would overflow the call's arguments.
        for (const s of f.samples) seen.family.samples.push(s);
      }
    }
  }
  return { families: [...byName.values()].map((e) => e.family), conflicts };
}

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
 * cycle.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Registry } from 'prom-client';
import type { KeySpec, SectionReader } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { MetricFamily } from '../model/family.ts';
import { applyTargetLabels } from '../model/target-labels.ts';
import { encodeText, TEXT_CONTENT_TYPE } from '../model/text-encoder.ts';
import { Counter } from '../prom.ts';
import type { Batch, PushReport, Sink, SinkContext, SinkKind } from './sink.ts';
import { StateLog } from './state-log.ts';

export interface ListenerConfig {
  /** Host to bind; undefined binds every interface. */
  host: string | undefined;
  port: number;
}

const KEYS: readonly KeySpec[] = [
  { key: 'address', kind: 'string', help: 'host:port to serve /metrics on, e.g. 127.0.0.1:9100, [::1]:9100, or :9100 for every interface. Required.' },
];

const MAX_CONNECTIONS = 32;

const ADDRESS_RE = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/;

/** Parses `host:port`, `[v6]:port` or `:port`; throws a message saying what is wrong. */
export function parseListenAddress(address: string): ListenerConfig {
  const m = ADDRESS_RE.exec(address.trim());
  if (!m) throw new Error(`"${address}" is not host:port ([v6]:port for IPv6, :port for every interface)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range`);
  const host = m[1] ?? m[2];
  return { host: host === '' ? undefined : host, port };
}

export const listenerKind: SinkKind<ListenerConfig> = {
  section: 'listener',
  keys: KEYS,
  parse(r: SectionReader): ListenerConfig {
    const address = r.string('address');
    if (!address) throw r.error('address', 'is required, e.g. 127.0.0.1:9100');
    try {
      return parseListenAddress(address);
    } catch (err) {
      throw r.error('address', (err as Error).message);
    }
  },
  create: (name, config, ctx) => new ListenerSink(name, config, ctx),
};

const requestCounters = new WeakMap<Registry, Counter<'sink' | 'code'>>();

function requestCounter(registry: Registry): Counter<'sink' | 'code'> {
  let c = requestCounters.get(registry);
  if (!c) {
    c = new Counter({ name: 'edgepush_listener_requests_total', help: 'HTTP requests to listener sinks, by status code.', labelNames: ['sink', 'code'], registers: [registry] });
    requestCounters.set(registry, c);
  }
  return c;
}

/** What the last cycle looks like on the wire, encoded once per cycle, not per request. */
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
  /** Set by every push before the port is bound, so a request always finds a cycle. */
  private exposition: Exposition = { text: Buffer.alloc(0) };
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
    const { families, conflicts } = mergeSources(batch);
    this.states.report('conflict', conflicts.length ? `families left out, their type differs from another source's: ${conflicts.join('; ')}` : undefined);
    this.exposition = { text: Buffer.from(encodeText(families)) };
    try {
      await this.listen();
      this.states.report('listen', undefined);
      return { ok: true, bytesSent: 0 };
    } catch (err) {
      const error = `cannot listen on ${this.describeAddress()}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
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

  private describeAddress(): string {
    const { host, port } = this.config;
    return `${host === undefined ? '' : host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Binds once; a failed bind is forgotten so the next push tries again. */
  private listen(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('closed'));
    this.listening ??= new Promise<void>((resolve, reject) => {
      const server = createServer((req, res) => this.serve(req, res));
      // A scraper needs one or two; a connection flood must not grow the agent's memory.
      server.maxConnections = MAX_CONNECTIONS;
      server.once('error', (err) => {
        this.listening = undefined;
        reject(err);
      });
      server.listen({ host: this.config.host, port: this.config.port }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.log.error('listener error', { err }));
        this.server = server;
        const a = this.address();
        this.log.info('listening', { address: a ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : this.describeAddress() });
        resolve();
      });
    });
    return this.listening;
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://listener');
    let code: number;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      code = 405;
      res.writeHead(code, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
    } else if (url.pathname === '/metrics') {
      code = this.serveMetrics(req, res);
    } else if (url.pathname === '/-/healthy' || url.pathname === '/-/ready') {
      code = 200;
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' }).end('OK\n');
    } else if (url.pathname === '/') {
      code = 200;
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' }).end('edgepush: the latest cycle is at /metrics\n');
    } else {
      code = 404;
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
    }
    this.requests.inc({ sink: this.name, code: String(code) });
  }

  private serveMetrics(req: IncomingMessage, res: ServerResponse): number {
    const exposition = this.exposition;
    const headers: Record<string, string> = { 'content-type': TEXT_CONTENT_TYPE, vary: 'Accept-Encoding' };
    let body = exposition.text;
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      body = exposition.gzip ??= gzipSync(exposition.text);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return 200;
  }
}

/**
 * Every source's families with the source's `job` and the box's identity as
 * target labels, merged by name. A family whose type differs from the one
 * another source already gave under that name cannot share the exposition: it
 * is left out and named (the Pushgateway refuses such a push the same way).
 */
export function mergeSources(batch: Batch): { families: MetricFamily[]; conflicts: string[] } {
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

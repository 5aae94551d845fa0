/**
 * The Pushgateway sink: each source is its own group
 * (/metrics/job/<job>/instance/<id>[/<label>/<value>...]) pushed with PUT, so
 * a push replaces the group (removed series vanish) and families of different
 * exporters never collide. Bodies are the project's text encoding (families
 * merged, no timestamps), gzip-compressed. Each request has a timeout and a
 * few retries with backoff, all within the cycle's deadline; groups that are
 * no longer configured are DELETEd (remembered across restarts in the state
 * directory).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Counter, perRegistry } from '../prom.ts';
import { request, type Dispatcher } from '../http.ts';
import type { KeySpec, SectionReader } from '../config/schema.ts';
import type { Labels } from '../model/family.ts';
import { applyTargetLabels } from '../model/target-labels.ts';
import { encodeText, TEXT_CONTENT_TYPE } from '../model/text-encoder.ts';
import type { Logger } from '../log.ts';
import { authorizationHeader, createDispatcher, describeRequestError, HTTP_CLIENT_KEYS, readHttpClientConfig, type HttpClientConfig } from './http-client.ts';
import { groupPath } from './pushgateway-path.ts';
import type { Batch, PushReport, Sink, SinkContext, SinkKind, SourceResult } from './sink.ts';
import { StateLog } from './state-log.ts';
import { writeFileAtomic } from '../state-file.ts';
import { startTimer } from '../timer.ts';

export interface PushgatewayConfig {
  /** Base URL without trailing slash, e.g. http://gw:9091 or https://host/prefix. */
  url: string;
  http: HttpClientConfig;
  /** Extra attempts after a failed one (network error, 5xx, 429). */
  retries: number;
  /** First backoff, seconds; doubled each retry, with jitter. */
  retryBackoffSeconds: number;
  gzip: boolean;
  /** Extra grouping labels for this gateway only. */
  grouping: Record<string, string>;
}

const KEYS: readonly KeySpec[] = [
  { key: 'url', kind: 'url', help: 'Base URL of the Pushgateway, e.g. http://pushgateway.example:9091. Required.' },
  { key: 'gzip', kind: 'bool', default: 'true', help: 'Compress bodies with gzip (the Pushgateway accepts Content-Encoding: gzip).' },
  { key: 'retries', kind: 'int', default: '2', min: '0', max: '20', help: 'Retries of a failed request (network error, 5xx, 429) within the cycle.' },
  { key: 'retry_backoff', kind: 'duration', default: '500ms', min: '10ms', max: '1m', help: 'First retry delay; doubled each retry, with jitter, never past the next cycle.' },
  { key: 'grouping.', kind: 'label_value', help: 'grouping.<name> = <value>: an extra grouping label on this gateway only.' },
  ...HTTP_CLIENT_KEYS,
];

export const pushgatewayKind: SinkKind<PushgatewayConfig> = {
  section: 'pushgateway',
  keys: KEYS,
  parse(r: SectionReader): PushgatewayConfig {
    const url = r.url('url');
    if (!url) throw r.error('url', 'is required');
    if (url.search || url.hash) throw r.error('url', 'must not have a query or fragment');
    const grouping = r.prefixed('grouping.');
    for (const name of ['job', 'instance']) if (name in grouping) throw r.error(`grouping.${name}`, `${name} is set by edgepush itself`);
    return {
      url: url.href.replace(/\/+$/, ''),
      http: readHttpClientConfig(r),
      retries: r.int('retries')!,
      retryBackoffSeconds: r.duration('retry_backoff')!,
      gzip: r.bool('gzip')!,
      grouping,
    };
  },
  create: (name, config, ctx) => new PushgatewaySink(name, config, ctx),
  describe: (config) => config.url,
};

interface GroupOutcome {
  ok: boolean;
  bytes: number;
  /** Collapses equal failures of many groups into one log line (e.g. connection refused). */
  error?: string;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

/** Retrying makes sense for these; other 4xx will fail the same way again. */
function retryable(err: unknown): boolean {
  if (err instanceof HttpError) return err.status >= 500 || err.status === 429;
  return !(err instanceof Error && err.name === 'AbortError' && !(err.cause instanceof Error && err.cause.name === 'TimeoutError'));
}

interface Metrics {
  requests: Counter<'sink' | 'method' | 'code'>;
  retries: Counter<'sink'>;
  deletes: Counter<'sink'>;
}

const metricsFor = perRegistry(
  (registry): Metrics => ({
    requests: new Counter({ name: 'edgepush_pushgateway_requests_total', help: 'HTTP requests to Pushgateways, by method and status code (0: no response).', labelNames: ['sink', 'method', 'code'], registers: [registry] }),
    retries: new Counter({ name: 'edgepush_pushgateway_retries_total', help: 'Requests to Pushgateways that were retried.', labelNames: ['sink'], registers: [registry] }),
    deletes: new Counter({ name: 'edgepush_pushgateway_group_deletes_total', help: 'Groups deleted from Pushgateways because their source was removed.', labelNames: ['sink'], registers: [registry] }),
  }),
);

export class PushgatewaySink implements Sink {
  readonly name: string;
  readonly coalesce = true;
  private readonly config: PushgatewayConfig;
  private readonly dispatcher: Dispatcher;
  private readonly log: Logger;
  private readonly states: StateLog;
  private readonly metrics: Metrics;
  private readonly stateFile: string;
  private readonly authorization: string | undefined;
  /** Group paths pushed so far (and by earlier runs), to DELETE those no longer configured. */
  private known: Set<string> | undefined;
  /** What the state file holds, so a cycle that changed no group writes nothing. */
  private savedText: string | undefined;
  private stateWarned = false;

  constructor(name: string, config: PushgatewayConfig, ctx: SinkContext) {
    this.name = name;
    this.config = config;
    this.dispatcher = createDispatcher(config.http);
    this.log = ctx.log.child({ sink: name });
    this.states = new StateLog(this.log);
    this.metrics = metricsFor(ctx.registry);
    this.stateFile = path.join(ctx.stateDir, `${name}.groups.json`);
    this.authorization = authorizationHeader(config.http);
  }

  /** The grouping labels of a source's group on this gateway. */
  grouping(identity: Labels, job: string): Labels {
    return { ...identity, ...this.config.grouping, job };
  }

  async push(batch: Batch, signal: AbortSignal): Promise<PushReport> {
    const known = this.loadKnown();
    const current = new Set<string>();
    const outcomes = await Promise.all(
      batch.sources.map(async (source) => {
        const grouping = this.grouping(batch.identity, source.job);
        const p = groupPath(grouping);
        current.add(p);
        const outcome = await this.pushGroup(p, grouping, source, batch.deadlineMs, signal);
        if (outcome.ok) known.add(p);
        return outcome;
      }),
    );
    const removed = [...known].filter((p) => !current.has(p));
    const deletions = await Promise.all(
      removed.map(async (p) => {
        const outcome = await this.send('DELETE', p, undefined, batch.deadlineMs, signal);
        if (outcome.ok) {
          known.delete(p);
          this.metrics.deletes.inc({ sink: this.name });
          this.log.info('deleted group of a removed source', { group: p });
        }
        return outcome;
      }),
    );
    this.saveKnown();
    const all = [...outcomes, ...deletions];
    const errors = [...new Set(all.filter((o) => !o.ok).map((o) => o.error ?? 'failed'))].sort();
    this.states.report('push', errors.length ? errors.join('; ') : undefined, { groups: all.length, failed: all.filter((o) => !o.ok).length });
    const report: PushReport = { ok: errors.length === 0, bytesSent: all.reduce((n, o) => n + o.bytes, 0) };
    if (errors.length) report.error = errors.join('; ');
    return report;
  }

  private pushGroup(p: string, grouping: Labels, source: SourceResult, deadlineMs: number, signal: AbortSignal): Promise<GroupOutcome> {
    const families = applyTargetLabels(source.families, grouping, false);
    const text = encodeText(families);
    // Synchronous on purpose: a group is tens of KB (well under a millisecond), and zlib on libuv's
    // thread pool fragments malloc arenas per thread, growing RSS by hundreds of MB over time.
    const body = this.config.gzip ? gzipSync(text, { level: 6 }) : Buffer.from(text);
    return this.send('PUT', p, body, deadlineMs, signal);
  }

  /** One request with bounded retries, never past the deadline. */
  private async send(method: 'PUT' | 'DELETE', p: string, body: Buffer | undefined, deadlineMs: number, signal: AbortSignal): Promise<GroupOutcome> {
    let bytes = 0;
    let lastErr: unknown;
    for (let attempt = 0; attempt <= this.config.retries; attempt++) {
      if (attempt > 0) {
        const delay = this.config.retryBackoffSeconds * 1000 * 2 ** (attempt - 1) * (0.5 + Math.random());
        if (Date.now() + delay >= deadlineMs || signal.aborted) break;
        this.metrics.retries.inc({ sink: this.name });
        await sleep(delay, signal);
      }
      const remaining = deadlineMs - Date.now();
      if (remaining <= 0 || signal.aborted) break;
      try {
        bytes += body?.length ?? 0;
        await this.request(method, p, body, Math.min(remaining, this.config.http.timeoutSeconds * 1000), signal);
        return { ok: true, bytes };
      } catch (err) {
        lastErr = err;
        if (!retryable(err)) break;
      }
    }
    return { ok: false, bytes, error: describe(method, p, lastErr ?? new Error('no time left before the next cycle')) };
  }

  private async request(method: 'PUT' | 'DELETE', p: string, body: Buffer | undefined, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {};
    if (body) {
      headers['content-type'] = TEXT_CONTENT_TYPE;
      if (this.config.gzip) headers['content-encoding'] = 'gzip';
    }
    if (this.authorization) headers['authorization'] = this.authorization;
    let code = 0;
    try {
      const res = await request(this.config.url + p, {
        method,
        headers,
        body: body ?? null,
        dispatcher: this.dispatcher,
        // undici follows no redirect by default: a 3xx is reported, never silently "successful".
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      code = res.statusCode;
      const text = await res.body.text();
      if (code < 200 || code >= 300) throw new HttpError(code, `HTTP ${code}${text ? `: ${text.trim().slice(0, 300)}` : ''}`);
    } finally {
      this.metrics.requests.inc({ sink: this.name, method, code: String(code) });
    }
  }

  async decommission(identity: Labels, jobs: readonly string[], signal: AbortSignal): Promise<void> {
    const groups = new Set<string>(this.loadKnown());
    for (const job of jobs) groups.add(groupPath(this.grouping(identity, job)));
    for (const g of await this.discoverGroups(identity, signal)) groups.add(g);
    const deadline = Date.now() + 60_000;
    const failures: string[] = [];
    await Promise.all(
      [...groups].map(async (p) => {
        const outcome = await this.send('DELETE', p, undefined, deadline, signal);
        if (outcome.ok) {
          this.known?.delete(p);
          this.log.info('deleted group', { group: p });
        } else failures.push(outcome.error ?? p);
      }),
    );
    this.saveKnown();
    if (failures.length) throw new Error(`${this.name}: ${failures.length} of ${groups.size} groups not deleted: ${failures[0]}`);
  }

  /** Groups on the gateway whose labels include this box's identity (Pushgateway's /api/v1/metrics). */
  private async discoverGroups(identity: Labels, signal: AbortSignal): Promise<string[]> {
    try {
      const headers: Record<string, string> = {};
      if (this.authorization) headers['authorization'] = this.authorization;
      const res = await request(this.config.url + '/api/v1/metrics', {
        headers,
        dispatcher: this.dispatcher,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.config.http.timeoutSeconds * 1000)]),
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return [];
      }
      const body = (await res.body.json()) as { data?: Array<{ labels?: Record<string, string> }> };
      const wanted = { ...identity, ...this.config.grouping };
      return (body.data ?? [])
        .map((g) => g.labels ?? {})
        .filter((labels) => labels['job'] && Object.entries(wanted).every(([k, v]) => (labels[k] ?? '') === v))
        .map((labels) => groupPath(labels));
    } catch (err) {
      this.log.warn('cannot list the groups on the gateway; deleting the known ones only', { err });
      return [];
    }
  }

  async close(): Promise<void> {
    this.saveKnown();
    await this.dispatcher.close();
  }

  private loadKnown(): Set<string> {
    if (this.known) return this.known;
    this.known = new Set();
    try {
      const parsed = JSON.parse(readFileSync(this.stateFile, 'utf8')) as { url?: string; groups?: unknown };
      // Groups pushed to another URL under the same sink name are not this gateway's to delete.
      if (parsed.url === this.config.url && Array.isArray(parsed.groups)) for (const g of parsed.groups) if (typeof g === 'string') this.known.add(g);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('ignoring unreadable state file', { file: this.stateFile, err });
    }
    return this.known;
  }

  private saveKnown(): void {
    if (!this.known) return;
    const text = JSON.stringify({ url: this.config.url, groups: [...this.known].sort() }) + '\n';
    if (text === this.savedText) return;
    try {
      writeFileAtomic(this.stateFile, text);
      this.savedText = text;
    } catch (err) {
      if (!this.stateWarned) this.log.warn('cannot save the list of pushed groups; removed sources will not be deleted after a restart', { file: this.stateFile, err });
      this.stateWarned = true;
    }
  }
}

function describe(method: string, p: string, err: unknown): string {
  if (err instanceof HttpError) return `${method} ${p}: ${err.message}`;
  // Network errors are the same for every group: no path, so they collapse into one log line.
  return describeRequestError(err);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = startTimer(done, ms);
    function done(): void {
      timer.clear();
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

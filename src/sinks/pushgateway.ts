/**
 * The Pushgateway sink: each source is its own group
 * (/metrics/job/<job>/instance/<id>[/<label>/<value>...]) pushed with PUT, so
 * a push replaces the group (removed series vanish) and families of different
 * exporters never collide. Bodies are the project's text encoding (families
 * merged, no timestamps), gzip-compressed. Each request has a timeout and a
 * few retries with backoff (or the gateway's Retry-After), all within the
 * cycle's deadline; groups that are no longer configured are DELETEd
 * (remembered across restarts in the state directory).
 *
 * A sink may name several gateways: a sharded tier. The box pushes to one of
 * them, chosen by rendezvous hashing of its identity, fails over and back by
 * the rules of pushgateway-tier.ts, and deletes what it left behind.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Counter, Gauge, perRegistry } from '../prom.ts';
import { gzipBody } from '../http/gzip.ts';
import { request, type Dispatcher } from '../http/request.ts';
import { describeRequestError, isRequestTimeout, isRetryableError, parseRetryAfterMs, retryDelayMs, statusVerdict, type RetryPolicy } from '../http/retry.ts';
import type { KeySpec, SectionReader } from '../config/schema.ts';
import type { Labels } from '../model/family.ts';
import { applyTargetLabels } from '../model/target-labels.ts';
import { encodeText, TEXT_CONTENT_TYPE } from '../model/text-encoder.ts';
import type { Logger } from '../log.ts';
import { authorizationHeader, createDispatcher, HTTP_CLIENT_KEYS, readHttpClientConfig, type HttpClientConfig } from '../http/client.ts';
import { groupPath } from './pushgateway-path.ts';
import { parseSavedTier, Tier, type GatewayHealth, type Move } from './pushgateway-tier.ts';
import { identityKey, rendezvousOrder } from './rendezvous.ts';
import { alreadyComplete, type Batch, type IncomingBatch, type PushReport, type SourceResult } from '../model/batch.ts';
import type { Sink, SinkContext, SinkKind } from './sink.ts';
import { StateLog } from '../state-log.ts';
import { writeFileAtomic } from '../state-file.ts';
import { startTimer } from '../timer.ts';

export interface PushgatewayConfig {
  /** Base URLs without trailing slash, e.g. http://gw:9091 or https://host/prefix: one gateway, or the gateways of a sharded tier. */
  urls: string[];
  http: HttpClientConfig;
  /** Extra attempts after a failed one (network error, 5xx, 429). */
  retries: number;
  /** First backoff, seconds; doubled each retry, with jitter. */
  retryBackoffSeconds: number;
  gzip: boolean;
  /** Extra grouping labels for this gateway only. */
  grouping: Record<string, string>;
  /** A tier's box moves to its next gateway after its own failed this long. */
  failoverAfterSeconds: number;
  /** ... and returns once its preferred one has been healthy this long. */
  failbackAfterSeconds: number;
}

const KEYS: readonly KeySpec[] = [
  {
    key: 'url',
    kind: 'url',
    connection: true,
    help: 'Base URL of the Pushgateway, e.g. http://pushgateway.example:9091; or one `url[] = ...` line per gateway of a sharded tier (each box pushes to one of them). Required.',
  },
  { key: 'gzip', kind: 'bool', default: 'true', help: 'Compress bodies with gzip (the Pushgateway accepts Content-Encoding: gzip).' },
  { key: 'retries', kind: 'int', default: '2', min: '0', max: '20', help: 'Retries of a failed request (network error, 5xx, 429) within the cycle.' },
  {
    key: 'retry_backoff',
    kind: 'duration',
    default: '500ms',
    min: '10ms',
    max: '1m',
    help: 'First retry delay; doubled each retry, with jitter, never past the next cycle. A 429 with Retry-After waits that long if the cycle has the time.',
  },
  {
    key: 'failover_after',
    kind: 'duration',
    default: '1m',
    min: '1s',
    max: '24h',
    help: 'Tier: move to the next gateway after the own one failed (connection errors, timeouts, 5xx) this long.',
  },
  {
    key: 'failback_after',
    kind: 'duration',
    default: '5m',
    min: '1s',
    max: '24h',
    help: 'Tier: return to the preferred gateway once it has answered every health probe promptly for this long (doubled after each flap, up to 16 times).',
  },
  { key: 'grouping.', kind: 'label_value', help: 'grouping.<name> = <value>: an extra grouping label on this gateway only.' },
  ...HTTP_CLIENT_KEYS,
];

export const pushgatewayKind: SinkKind<PushgatewayConfig> = {
  section: 'pushgateway',
  keys: KEYS,
  parse(r: SectionReader): PushgatewayConfig {
    const urls = r.urls('url');
    if (urls.length === 0) throw r.error('url', 'is required');
    for (const url of urls) if (url.search || url.hash) throw r.error('url', 'must not have a query or fragment');
    const bases = urls.map((url) => url.href.replace(/\/+$/, ''));
    const twice = bases.find((b, i) => bases.indexOf(b) !== i);
    if (twice) throw r.error('url', `${twice} is listed twice`);
    const grouping = r.prefixed('grouping.');
    for (const name of ['job', 'instance']) if (name in grouping) throw r.error(`grouping.${name}`, `${name} is set by edgepush itself`);
    return {
      urls: bases,
      http: readHttpClientConfig(r),
      retries: r.int('retries')!,
      retryBackoffSeconds: r.duration('retry_backoff')!,
      gzip: r.bool('gzip')!,
      grouping,
      failoverAfterSeconds: r.duration('failover_after')!,
      failbackAfterSeconds: r.duration('failback_after')!,
    };
  },
  create: (name, config, ctx) => new PushgatewaySink(name, config, ctx),
  describe: (config, identity) => {
    if (config.urls.length === 1) return config.urls[0]!;
    const order = rendezvousOrder(config.urls, identityKey(identity));
    return `tier of ${order.length}: pushes to ${order[0]} (failover order: ${order.slice(1).join(', ')})`;
  },
};

interface GroupOutcome {
  ok: boolean;
  bytes: number;
  /** What the request says about the gateway: 4xx answers are 'ok' (the gateway works; the group is wrong). */
  health: GatewayHealth;
  /** Collapses equal failures of many groups into one log line (e.g. connection refused). */
  error?: string;
  /** Sent but never answered (timeout, connection lost): the gateway may still apply it. */
  unanswered?: boolean;
}

class HttpError extends Error {
  readonly status: number;
  /** The gateway's Retry-After (429, 503), ms. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, message: string, retryAfterMs: number | undefined) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Retrying makes sense for these (http/retry.ts); other 4xx will fail the same way again. */
function retryable(err: unknown): boolean {
  if (err instanceof HttpError) return statusVerdict(err.status) === 'retry';
  return isRetryableError(err);
}

/** Whether a failure says the gateway is down (connection, timeout, 5xx) rather than our request wrong (4xx) or our own shutdown. */
function healthOf(err: unknown): GatewayHealth {
  if (err instanceof HttpError) return err.status >= 500 ? 'down' : 'ok';
  return retryable(err) ? 'down' : 'unknown';
}

/** The tier's verdict on one gateway this cycle: any answer proves it alive. */
function overallHealth(outcomes: readonly GroupOutcome[]): GatewayHealth {
  if (outcomes.some((o) => o.health === 'ok')) return 'ok';
  return outcomes.some((o) => o.health === 'down') ? 'down' : 'unknown';
}

interface Metrics {
  requests: Counter<'sink' | 'method' | 'code'>;
  retries: Counter<'sink'>;
  deletes: Counter<'sink'>;
  active: Gauge<'sink' | 'url'>;
  moves: Counter<'sink' | 'from' | 'to' | 'reason'>;
  cleanups: Counter<'sink' | 'url' | 'result'>;
}

const metricsFor = perRegistry(
  (registry): Metrics => ({
    requests: new Counter({
      name: 'edgepush_pushgateway_requests_total',
      help: 'HTTP requests to Pushgateways, by method and status code (0: no response).',
      labelNames: ['sink', 'method', 'code'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'edgepush_pushgateway_retries_total',
      help: 'Requests to Pushgateways that were retried.',
      labelNames: ['sink'],
      registers: [registry],
    }),
    deletes: new Counter({
      name: 'edgepush_pushgateway_group_deletes_total',
      help: 'Groups deleted from Pushgateways because their source was removed.',
      labelNames: ['sink'],
      registers: [registry],
    }),
    active: new Gauge({
      name: 'edgepush_pushgateway_active',
      help: '1 for the gateway of its tier this box pushes to, 0 for the others.',
      labelNames: ['sink', 'url'],
      registers: [registry],
    }),
    moves: new Counter({
      name: 'edgepush_pushgateway_moves_total',
      help: 'Moves of this box from one gateway of a tier to another (failover, failback, tier change).',
      labelNames: ['sink', 'from', 'to', 'reason'],
      registers: [registry],
    }),
    cleanups: new Counter({
      name: 'edgepush_pushgateway_cleanups_total',
      help: "Attempts to delete this box's groups from a gateway it left, by result.",
      labelNames: ['sink', 'url', 'result'],
      registers: [registry],
    }),
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
  private readonly retryPolicy: RetryPolicy;
  /** Where this box pushes and the groups it pushed where (also by earlier runs): undefined until the first batch gives the identity. */
  private tier: Tier | undefined;
  private tierIdentity: string | undefined;
  /** What the state file holds, so a cycle that changed no group writes nothing. */
  private savedText: string | undefined;
  private stateWarned = false;

  constructor(name: string, config: PushgatewayConfig, ctx: SinkContext) {
    this.name = name;
    this.config = config;
    this.dispatcher = createDispatcher(config.http);
    // No cap of its own: the cycle's deadline ends the retries.
    this.retryPolicy = { minMs: config.retryBackoffSeconds * 1000, maxMs: Infinity };
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

  push(batch: Batch, signal: AbortSignal): Promise<PushReport> {
    return this.pushAsCollected(alreadyComplete(batch), signal);
  }

  /** Each group goes out as soon as its source is collected: a group needs no other source. */
  async pushAsCollected(batch: IncomingBatch, signal: AbortSignal): Promise<PushReport> {
    const tier = this.loadTier(batch.identity);
    this.adoptOtherWriter(tier);
    const deadlineMs = batch.deadlineMs;
    if (tier.probeTargets().length) {
      await Promise.all(tier.probeTargets().map(async (url) => tier.recordProbe(url, await this.healthy(url, deadlineMs, signal), Date.now())));
      this.moved(tier.failback(Date.now()));
    }
    let outcomes = await this.pushTo(tier.active, batch, signal);
    const health = overallHealth(outcomes);
    // A failover goes only to a gateway that answers a probe now (see pushgateway-tier.ts).
    const due = tier.failoverDue(health, Date.now());
    const healthy = new Set<string>();
    let candidates: string[] = [];
    if (due) {
      candidates = tier.failoverCandidates(Date.now());
      const answers = await Promise.all(candidates.map((url) => this.healthy(url, deadlineMs, signal)));
      for (const [i, url] of candidates.entries()) if (answers[i]) healthy.add(url);
    }
    const stuck = due && healthy.size === 0;
    this.states.report(
      'failover',
      stuck
        ? 'failover due, but no other gateway of the tier is eligible (none answered a probe promptly, or it was left failing within its hold): staying'
        : undefined,
      { url: tier.active, candidates: candidates.length },
    );
    const failover = tier.recordPush(health, Date.now(), (url) => healthy.has(url));
    if (failover) {
      this.moved(failover);
      outcomes = await this.pushTo(tier.active, batch, signal);
      tier.recordPush(overallHealth(outcomes), Date.now());
    }
    await this.cleanUp(tier, deadlineMs, signal);
    this.saveTier();
    const errors = [...new Set(outcomes.filter((o) => !o.ok).map((o) => o.error ?? 'failed'))].sort();
    this.states.report(`push ${tier.active}`, errors.length ? errors.join('; ') : undefined, {
      url: tier.active,
      groups: outcomes.length,
      failed: outcomes.filter((o) => !o.ok).length,
    });
    const report: PushReport = { ok: errors.length === 0, bytesSent: outcomes.reduce((n, o) => n + o.bytes, 0) };
    if (errors.length) report.error = errors.join('; ');
    return report;
  }

  /** Every group of the batch to one gateway, and DELETEs there of the groups of removed sources. */
  private async pushTo(url: string, batch: IncomingBatch, signal: AbortSignal): Promise<GroupOutcome[]> {
    const tier = this.tier!;
    const current = new Set<string>();
    const outcomes = await Promise.all(
      batch.sources.map(async (collected) => {
        const source = await collected;
        const grouping = this.grouping(batch.identity, source.job);
        const p = groupPath(grouping);
        current.add(p);
        // Remembered before it is sent: a PUT that times out may still be applied.
        tier.pushed(url, p);
        const outcome = await this.pushGroup(url, p, grouping, source, batch.deadlineMs, signal);
        if (outcome.unanswered) tier.unanswered(url, Date.now());
        return outcome;
      }),
    );
    const removed = [...tier.groupsOn(url)].filter((p) => !current.has(p));
    const deletions = await Promise.all(
      removed.map(async (p) => {
        const sentMs = Date.now();
        const outcome = await this.send('DELETE', url, p, undefined, batch.deadlineMs, signal);
        if (outcome.ok && tier.deleted(url, p, sentMs)) {
          this.metrics.deletes.inc({ sink: this.name });
          this.log.info('deleted group of a removed source', { url, group: p });
        }
        return outcome;
      }),
    );
    return [...outcomes, ...deletions];
  }

  /** DELETEs this box's groups from every gateway it left; logged once per change, counted every attempt. */
  private async cleanUp(tier: Tier, deadlineMs: number, signal: AbortSignal): Promise<void> {
    for (const url of tier.giveUp(Date.now())) this.log.warn('giving up deleting groups on a gateway that left the tier a day ago', { url });
    await Promise.all(
      tier.cleanupTargets().map(async (url) => {
        const groups = [...tier.groupsOn(url)];
        const outcomes = await Promise.all(
          groups.map(async (p) => {
            const sentMs = Date.now();
            const outcome = await this.send('DELETE', url, p, undefined, deadlineMs, signal);
            return { ...outcome, done: outcome.ok && tier.deleted(url, p, sentMs) };
          }),
        );
        const failed = outcomes.filter((o) => !o.ok);
        this.metrics.cleanups.inc({ sink: this.name, url, result: failed.length ? 'failure' : 'success' });
        this.states.report(`cleanup ${url}`, failed[0]?.error, { url, groups: groups.length, failed: failed.length });
        // Not done while a late write may still land: repeated next cycle, logged when it is.
        if (outcomes.every((o) => o.done)) this.log.info('deleted the groups this box left on a gateway', { url, groups: groups.length });
      }),
    );
  }

  private moved(move: Move | undefined): void {
    if (!move) return;
    this.metrics.moves.inc({ sink: this.name, ...move });
    const fields = { from: move.from, to: move.to, reason: move.reason };
    if (move.reason === 'failover') this.log.warn('moving to the next gateway of the tier', fields);
    else this.log.info('moving to the preferred gateway of the tier', fields);
    this.showActive();
  }

  private showActive(): void {
    for (const url of this.config.urls) this.metrics.active.set({ sink: this.name, url }, url === this.tier?.active ? 1 : 0);
  }

  /**
   * A cheap health check of a gateway the box would rather use: GET /-/healthy, no retries.
   * A slow answer fails it: a gateway that needs half the timeout for its cheapest request
   * has no room left for pushes, and returning to it would only fail over again.
   */
  private async healthy(url: string, deadlineMs: number, signal: AbortSignal): Promise<boolean> {
    const remaining = deadlineMs - Date.now();
    const promptMs = (this.config.http.timeoutSeconds * 1000) / 2;
    if (remaining <= 0) return false;
    try {
      await this.request('GET', url, '/-/healthy', undefined, Math.min(remaining, promptMs), signal);
      return true;
    } catch {
      return false;
    }
  }

  private pushGroup(url: string, p: string, grouping: Labels, source: SourceResult, deadlineMs: number, signal: AbortSignal): Promise<GroupOutcome> {
    return this.send('PUT', url, p, groupBody(source, p, grouping, this.config.gzip), deadlineMs, signal);
  }

  /** One request with bounded retries, never past the deadline. */
  private async send(
    method: 'PUT' | 'DELETE',
    url: string,
    p: string,
    body: Buffer | undefined,
    deadlineMs: number,
    signal: AbortSignal,
  ): Promise<GroupOutcome> {
    let bytes = 0;
    let lastErr: unknown;
    let unanswered = false;
    for (let attempt = 0; attempt <= this.config.retries; attempt++) {
      if (attempt > 0) {
        // The gateway's own Retry-After wins when longer; past the cycle's budget, the next cycle pushes anyway.
        const delay = retryDelayMs(attempt - 1, this.retryPolicy, lastErr instanceof HttpError ? lastErr.retryAfterMs : undefined);
        if (Date.now() + delay >= deadlineMs || signal.aborted) break;
        this.metrics.retries.inc({ sink: this.name });
        await sleep(delay, signal);
      }
      const remaining = deadlineMs - Date.now();
      if (remaining <= 0 || signal.aborted) break;
      try {
        bytes += body?.length ?? 0;
        await this.request(method, url, p, body, Math.min(remaining, this.config.http.timeoutSeconds * 1000), signal);
        return { ok: true, bytes, health: 'ok' };
      } catch (err) {
        lastErr = err;
        if (body && !(err instanceof HttpError)) unanswered = true;
        // A gateway that did not answer in time is busy, not gone: it still holds the request
        // and applies it late (Pushgateway applies writes one at a time), so a retry in this
        // cycle only lengthens its queue (the fleet drill saw a saturated gateway answer no push
        // at all). The next cycle pushes the whole state anyway.
        if (!retryable(err) || isRequestTimeout(err)) break;
      }
    }
    return {
      ok: false,
      bytes,
      unanswered,
      health: lastErr === undefined ? 'unknown' : healthOf(lastErr),
      error: describe(method, p, lastErr ?? new Error('no time left before the next cycle')),
    };
  }

  private async request(
    method: 'PUT' | 'DELETE' | 'GET',
    url: string,
    p: string,
    body: Buffer | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    const headers: Record<string, string> = {};
    if (body) {
      headers['content-type'] = TEXT_CONTENT_TYPE;
      if (this.config.gzip) headers['content-encoding'] = 'gzip';
    }
    if (this.authorization) headers['authorization'] = this.authorization;
    let code = 0;
    try {
      const res = await request(url + p, {
        method,
        headers,
        body: body ?? null,
        dispatcher: this.dispatcher,
        // undici follows no redirect by default: a 3xx is reported, never silently "successful".
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      code = res.statusCode;
      const text = await res.body.text();
      if (statusVerdict(code) !== 'ok')
        throw new HttpError(code, `HTTP ${code}${text ? `: ${text.trim().slice(0, 300)}` : ''}`, parseRetryAfterMs(res.headers['retry-after']));
    } finally {
      this.metrics.requests.inc({ sink: this.name, method, code: String(code) });
    }
  }

  /** Every group of this box on every gateway of the tier and every gateway it remembers groups on. */
  async decommission(identity: Labels, jobs: readonly string[], signal: AbortSignal): Promise<void> {
    const tier = this.loadTier(identity);
    const deadline = Date.now() + 60_000;
    const failures: string[] = [];
    let total = 0;
    await Promise.all(
      tier.allGateways().map(async (url) => {
        const groups = new Set<string>(tier.groupsOn(url));
        for (const job of jobs) groups.add(groupPath(this.grouping(identity, job)));
        for (const g of await this.discoverGroups(url, identity, signal)) groups.add(g);
        total += groups.size;
        await Promise.all(
          [...groups].map(async (p) => {
            const sentMs = Date.now();
            const outcome = await this.send('DELETE', url, p, undefined, deadline, signal);
            if (outcome.ok) {
              tier.deleted(url, p, sentMs);
              this.log.info('deleted group', { url, group: p });
            } else failures.push(`${url}: ${outcome.error ?? p}`);
          }),
        );
      }),
    );
    this.saveTier();
    if (failures.length) throw new Error(`${this.name}: ${failures.length} of ${total} groups not deleted: ${failures[0]}`);
  }

  /** Groups on a gateway whose labels include this box's identity (Pushgateway's /api/v1/metrics). */
  private async discoverGroups(url: string, identity: Labels, signal: AbortSignal): Promise<string[]> {
    try {
      const headers: Record<string, string> = {};
      if (this.authorization) headers['authorization'] = this.authorization;
      const res = await request(url + '/api/v1/metrics', {
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
      this.log.warn('cannot list the groups on the gateway; deleting the known ones only', { url, err });
      return [];
    }
  }

  async close(): Promise<void> {
    this.saveTier();
    for (const url of this.config.urls) this.metrics.active.remove({ sink: this.name, url });
    await this.dispatcher.close();
  }

  /**
   * The tier for this identity: restored from the state file on first use (so a
   * restart or a rebuilt sink knows where it pushed and what to clean up); a
   * changed identity re-ranks the gateways, as a changed tier does.
   */
  private loadTier(identity: Labels): Tier {
    const key = identityKey(identity);
    if (this.tier && this.tierIdentity === key) return this.tier;
    const saved = this.tier ? this.tier.save() : this.readState();
    this.tier = new Tier(
      rendezvousOrder(this.config.urls, key),
      { failoverAfterMs: this.config.failoverAfterSeconds * 1000, failbackAfterMs: this.config.failbackAfterSeconds * 1000 },
      saved,
      Date.now(),
    );
    this.tierIdentity = key;
    this.moved(this.tier.initialMove);
    this.showActive();
    return this.tier;
  }

  /**
   * A reload rebuilds a changed sink while the old one may still be pushing: both
   * write this file. What the other one wrote since we last read or wrote it is
   * merged in, so no gateway's groups are forgotten (a needless DELETE is harmless).
   */
  private adoptOtherWriter(tier: Tier): void {
    let text: string;
    try {
      text = readFileSync(this.stateFile, 'utf8');
    } catch {
      return;
    }
    if (text === this.savedText) return;
    try {
      const saved = parseSavedTier(JSON.parse(text));
      if (saved) tier.adopt(saved, Date.now());
    } catch {
      // Unreadable: ours replaces it.
    }
  }

  private readState(): ReturnType<typeof parseSavedTier> {
    try {
      const text = readFileSync(this.stateFile, 'utf8');
      this.savedText = text;
      const saved = parseSavedTier(JSON.parse(text));
      if (!saved) this.log.warn('ignoring a state file of an unknown format', { file: this.stateFile });
      return saved;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn('ignoring unreadable state file', { file: this.stateFile, err });
      return undefined;
    }
  }

  private saveTier(): void {
    if (!this.tier) return;
    this.adoptOtherWriter(this.tier);
    const text = JSON.stringify(this.tier.save()) + '\n';
    if (text === this.savedText) return;
    try {
      writeFileAtomic(this.stateFile, text);
      this.savedText = text;
    } catch (err) {
      if (!this.stateWarned)
        this.log.warn('cannot save the list of pushed groups; removed sources and left gateways will not be cleaned up after a restart', {
          file: this.stateFile,
          err,
        });
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

/** Bodies already made for a source's result, by gzip flag and group path. */
const groupBodies = new WeakMap<SourceResult, Map<string, Buffer>>();

/**
 * The body of one group, made once per source result however many Pushgateway
 * sinks (or a failover's second gateway) push it: grouping, encoding and gzip
 * are most of a push's CPU and allocation. Dropped with the batch.
 */
function groupBody(source: SourceResult, p: string, grouping: Labels, gzip: boolean): Buffer {
  let made = groupBodies.get(source);
  if (!made) groupBodies.set(source, (made = new Map()));
  const key = `${gzip ? 'gzip' : 'plain'} ${p}`;
  let body = made.get(key);
  if (!body) {
    const text = encodeText(applyTargetLabels(source.families, grouping, false));
    body = gzip ? gzipBody(text) : Buffer.from(text);
    made.set(key, body);
  }
  return body;
}

/**
 * [remote_config]: a fleet changes its targets and gateways without a new
 * package and without configuration management on the boxes. Every interval
 * (with jitter, so a fleet does not ask in the same second) the URL is
 * fetched; a layer that differs from the cached one is validated exactly as
 * a reload would load it, then cached in the state directory and applied by
 * a reload. A layer that does not load is refused and logged, and the
 * running configuration stays; a URL that is down changes nothing. The cache
 * makes a box that starts offline run on the last layer it got.
 */
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { readBodyLimited, request, type Dispatcher } from '../http.ts';
import type { Logger } from '../log.ts';
import { Counter, Gauge, perRegistry } from '../prom.ts';
import { authorizationHeader, createDispatcher, describeRequestError } from '../sinks/http-client.ts';
import { StateLog } from '../sinks/state-log.ts';
import { writeFileAtomic } from '../state-file.ts';
import { startTimer, type Timer } from '../timer.ts';
import { VERSION } from '../version.ts';
import type { RemoteConfigSettings } from './config.ts';
import { configFingerprint } from './fingerprint.ts';

/** A configuration layer is a few KB; anything this large is not one. */
const MAX_LAYER_BYTES = 1024 * 1024;
const JITTER = 0.1;

export type FetchResult = 'applied' | 'unchanged' | 'refused' | 'failed';

export interface RemoteConfigOptions {
  settings: RemoteConfigSettings;
  /** Throws (a ConfigError naming the key) when the configuration with this layer does not load. */
  validate: (text: string) => void;
  /** Applies the cached layer: the agent's reload. */
  apply: () => void;
  log: Logger;
  registry: Registry;
  random?: () => number;
}

interface Metrics {
  fetches: Counter<'result'>;
  lastSuccess: Gauge;
}

const metricsFor = perRegistry(
  (registry): Metrics => ({
    fetches: new Counter({ name: 'edgepush_remote_config_fetches_total', help: 'Fetches of the remote configuration, by result (applied, unchanged, refused, failed).', labelNames: ['result'], registers: [registry] }),
    lastSuccess: new Gauge({ name: 'edgepush_remote_config_last_success_timestamp_seconds', help: 'When the remote configuration was last fetched and found loadable (applied or unchanged).', registers: [registry] }),
  }),
);

export class RemoteConfigFetcher {
  /** Equal for equal settings: a reload keeps a fetcher whose settings did not change. */
  readonly fingerprint: string;
  private readonly options: RemoteConfigOptions;
  private readonly dispatcher: Dispatcher;
  private readonly states: StateLog;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private timer: Timer | undefined;
  private etag: string | undefined;
  private stopped = false;
  /** Aborts the fetch in flight on stop: a SIGTERM must not wait out a slow config server. */
  private readonly aborter = new AbortController();
  private running: Promise<FetchResult> | undefined;

  constructor(options: RemoteConfigOptions) {
    this.options = options;
    this.fingerprint = configFingerprint(options.settings);
    this.dispatcher = createDispatcher(options.settings.http);
    this.log = options.log.child({ remote_config: options.settings.url });
    this.states = new StateLog(this.log);
    this.metrics = metricsFor(options.registry);
  }

  /** Fetches now, then every interval. */
  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.clear();
    this.aborter.abort();
    await this.running?.catch(() => undefined);
    await this.dispatcher.close();
  }

  /** One fetch; what it led to. */
  async fetchOnce(): Promise<FetchResult> {
    const result = await this.fetchLayer().then(
      (r) => r,
      (err: unknown) => {
        if (!this.stopped) this.states.report('fetch', `cannot fetch the remote configuration: ${describeRequestError(err)}`);
        return 'failed' as const;
      },
    );
    this.metrics.fetches.inc({ result });
    if (result === 'applied' || result === 'unchanged') this.metrics.lastSuccess.set(Date.now() / 1000);
    return result;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    // The agent's own timers keep the process alive; this one must not hold a stop up.
    this.timer = startTimer(
      () => {
        this.running = this.fetchOnce();
        void this.running.finally(() => {
          this.running = undefined;
          const base = this.options.settings.intervalSeconds * 1000;
          this.schedule(base * (1 - JITTER + 2 * JITTER * (this.options.random ?? Math.random)()));
        });
      },
      delayMs,
      { unref: true },
    );
  }

  private async fetchLayer(): Promise<FetchResult> {
    const { settings } = this.options;
    const headers: Record<string, string> = { accept: 'text/plain, */*', 'user-agent': `edgepush/${VERSION}` };
    const auth = authorizationHeader(settings.http);
    if (auth) headers['authorization'] = auth;
    if (this.etag) headers['if-none-match'] = this.etag;
    const res = await request(settings.url, { headers, dispatcher: this.dispatcher, signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(settings.http.timeoutSeconds * 1000)]) });
    if (res.statusCode === 304) {
      await res.body.dump();
      this.states.report('fetch', undefined);
      return 'unchanged';
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`HTTP ${res.statusCode}`);
    }
    let body: Buffer;
    try {
      body = await readBodyLimited(res, MAX_LAYER_BYTES, 'the layer size limit of');
    } finally {
      if (!res.body.readableEnded) {
        // A body refused part way: the abort this raises on the stream is expected.
        res.body.on('error', () => undefined);
        res.body.destroy();
      }
    }
    this.states.report('fetch', undefined);
    const text = body.toString('utf8');
    const etag = res.headers['etag'];
    // Validated even when it is the cached layer: one that stopped loading (an upgrade) must say so, not count as fine.
    try {
      this.options.validate(text);
    } catch (err) {
      // Not cached, and the ETag not kept: the same layer is fetched (and refused) again, so the log says when it is fixed.
      this.states.report('refused', `remote configuration refused, keeping the running one: ${(err as Error).message}`);
      return 'refused';
    }
    this.states.report('refused', undefined);
    // The ETag is kept only for a layer that is cached: a 304 must never stand for one that is not.
    const keepEtag = (): void => void (typeof etag === 'string' && (this.etag = etag));
    if (text === this.cached()) {
      keepEtag();
      return 'unchanged';
    }
    try {
      writeFileAtomic(settings.cacheFile, text);
    } catch (err) {
      // A reload reads the cache: a layer that cannot be cached cannot be applied either.
      this.states.report('cache', `cannot cache the remote configuration in ${settings.cacheFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return 'failed';
    }
    this.states.report('cache', undefined);
    keepEtag();
    this.log.info('remote configuration changed; reloading');
    this.options.apply();
    return 'applied';
  }

  private cached(): string | undefined {
    try {
      return readFileSync(this.options.settings.cacheFile, 'utf8');
    } catch {
      return undefined;
    }
  }
}

/**
 * [remote_config]: a fleet changes its targets and gateways without a new
 * package and without configuration management on the boxes. Every interval
 * (with jitter, so a fleet does not ask in the same second) the URL is
 * fetched; a layer that differs from the cached one is validated exactly as
 * a reload would load it, then cached in the state directory and applied by
 * a reload. A layer that does not load is refused and logged, and the
 * running configuration stays; a URL that is down changes nothing. The cache
 * makes a box that starts offline run on the last layer it got.
 * With trusted keys, a layer must also be signed by one of them
 * (layer-signature.ts); a versioned layer must not be older than the highest
 * applied nor reverted before (layer-state.ts). The request names the box and
 * the layer version it runs, so the server can serve canaries.
 */
import type { Registry } from 'prom-client';
import { readBodyLimited, request, type Dispatcher } from '../../http/request.ts';
import type { Logger } from '../../log.ts';
import { Counter, Gauge, perRegistry } from '../../prom.ts';
import { describeRequestError } from '../../http/retry.ts';
import { authorizationHeader, createDispatcher } from '../../http/client.ts';
import { StateLog } from '../../state-log.ts';
import { writeFileAtomic } from '../../state-file.ts';
import { startTimer, type Timer } from '../../timer.ts';
import { VERSION } from '../../version.ts';
import type { RemoteConfigSettings } from './section.ts';
import { configFingerprint } from '../fingerprint.ts';
import { LayerRefusal, layerVersion, verifyLayer, type RefusalReason } from './layer-signature.ts';
import { identify, LayerState, type LayerId } from './layer-state.ts';

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
  /** The sinks that push now: what a new layer is judged against on its trial (revert-watch.ts). */
  pushingSinks?: () => readonly string[];
  log: Logger;
  registry: Registry;
  random?: () => number;
}

interface Metrics {
  fetches: Counter<'result'>;
  lastSuccess: Gauge;
  refusals: Counter<'reason'>;
  reverts: Counter;
  info: Gauge<'version' | 'sha256' | 'state'>;
}

export const remoteConfigMetrics = perRegistry(
  (registry): Metrics => ({
    fetches: new Counter({
      name: 'edgepush_remote_config_fetches_total',
      help: 'Fetches of the remote configuration, by result (applied, unchanged, refused, failed).',
      labelNames: ['result'],
      registers: [registry],
    }),
    lastSuccess: new Gauge({
      name: 'edgepush_remote_config_last_success_timestamp_seconds',
      help: 'When the remote configuration was last fetched and found loadable (applied or unchanged).',
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'edgepush_remote_config_refusals_total',
      help: 'Fetched layers refused, by reason (unsigned, malformed, unknown_key, bad_signature, old_version, reverted, invalid).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    reverts: new Counter({
      name: 'edgepush_remote_config_reverts_total',
      help: 'Returns to the last known-good layer after a new one broke pushing or crashed the agent.',
      registers: [registry],
    }),
    info: new Gauge({
      name: 'edgepush_remote_config_info',
      help: 'The remote configuration layer the box runs (version, sha256 of the layer text) and what became of the last one served (state: cached, applied, refused, reverted); always 1.',
      labelNames: ['version', 'sha256', 'state'],
      registers: [registry],
    }),
  }),
);

type LayerStatusState = 'cached' | 'applied' | 'refused' | 'reverted';

/**
 * edgepush_remote_config_info: one series, the running layer and its state.
 * A refusal shows until the running layer is served again; a refusal of the
 * reverted version itself leaves 'reverted' showing.
 */
class LayerStatus {
  private readonly info: Metrics['info'];
  private layer: LayerId | undefined;
  private state: LayerStatusState | undefined;
  private settled: LayerStatusState = 'cached';

  constructor(info: Metrics['info']) {
    this.info = info;
  }

  running(state: Exclude<LayerStatusState, 'refused'>, layer: LayerId | undefined): void {
    this.layer = layer;
    this.settled = state;
    this.show(state);
  }

  refused(reason: RefusalReason): void {
    if (reason === 'reverted' && this.state === 'reverted') return;
    this.show('refused');
  }

  unchanged(): void {
    if (this.state === 'refused') this.show(this.settled);
  }

  private show(state: LayerStatusState): void {
    this.state = state;
    this.info.reset();
    this.info.set({ version: this.layer?.version === undefined ? 'none' : String(this.layer.version), sha256: this.layer?.sha256 ?? 'none', state }, 1);
  }
}

export const layerStatus = perRegistry((registry) => new LayerStatus(remoteConfigMetrics(registry).info));

export class RemoteConfigFetcher {
  /** Equal for equal settings: a reload keeps a fetcher whose settings did not change. */
  readonly fingerprint: string;
  private readonly options: RemoteConfigOptions;
  private readonly dispatcher: Dispatcher;
  private readonly states: StateLog;
  private readonly metrics: Metrics;
  private readonly status: LayerStatus;
  private readonly layers: LayerState;
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
    this.metrics = remoteConfigMetrics(options.registry);
    this.status = layerStatus(options.registry);
    this.layers = new LayerState(options.settings.cacheFile);
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
    // Who asks and what it runs: the config server can serve canaries and see the rollout.
    const headers: Record<string, string> = {
      accept: 'text/plain, */*',
      'user-agent': `edgepush/${VERSION}`,
      'x-edgepush-instance': settings.instance,
      'x-edgepush-version': VERSION,
    };
    const running = this.layers.current()?.id.version;
    if (running !== undefined) headers['x-edgepush-config-version'] = String(running);
    const auth = authorizationHeader(settings.http);
    if (auth) headers['authorization'] = auth;
    if (this.etag) headers['if-none-match'] = this.etag;
    const res = await request(settings.url, {
      headers,
      dispatcher: this.dispatcher,
      signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(settings.http.timeoutSeconds * 1000)]),
    });
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
    const cached = this.layers.current();
    const layer = identify(text);
    // Validated even when it is the cached layer: one that stopped loading (an upgrade) must say so, not count as fine.
    try {
      if (settings.trustedKeys) verifyLayer(text, settings.trustedKeys);
      else layerVersion(text);
      if (layer.sha256 !== cached?.id.sha256) this.layers.admit(layer);
      this.options.validate(text);
    } catch (err) {
      // Not cached, and the ETag not kept: the same layer is fetched (and refused) again, so the log says when it is fixed.
      const reason: RefusalReason = err instanceof LayerRefusal ? err.reason : 'invalid';
      this.metrics.refusals.inc({ reason });
      if (
        this.states.report('refused', `remote configuration refused, keeping the running one: ${(err as Error).message}`, {
          reason,
          version: layer.version,
          sha256: layer.sha256,
        })
      ) {
        this.status.refused(reason);
      }
      return 'refused';
    }
    this.states.report('refused', undefined);
    // The ETag is kept only for a layer that is cached: a 304 must never stand for one that is not.
    const keepEtag = (): void => void (typeof etag === 'string' && (this.etag = etag));
    if (layer.sha256 === cached?.id.sha256) {
      keepEtag();
      this.status.unchanged();
      return 'unchanged';
    }
    try {
      // The trial is recorded first: a crash while using the layer is then recognised at the next start.
      this.layers.startTrial(layer, this.options.pushingSinks?.() ?? [], Date.now());
      writeFileAtomic(settings.cacheFile, text);
    } catch (err) {
      // A reload reads the cache: a layer that cannot be cached cannot be applied either.
      this.states.report(
        'cache',
        `cannot cache the remote configuration in ${settings.cacheFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
      return 'failed';
    }
    this.states.report('cache', undefined);
    keepEtag();
    this.log.info('remote configuration changed; reloading', { version: layer.version, sha256: layer.sha256 });
    this.status.running('applied', layer);
    this.options.apply();
    return 'applied';
  }
}

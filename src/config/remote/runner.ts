import type { Agent } from '../../agent.ts';
import { log } from '../../log.ts';
import type { PushReport } from '../../model/batch.ts';
import { configFingerprint } from '../fingerprint.ts';
import { layerStatus, RemoteConfigFetcher } from './fetcher.ts';
import type { LayerId } from './layer-state.ts';
import { RevertWatch } from './revert-watch.ts';

/**
 * The [remote_config] fetcher of a running agent, kept in step with its
 * configuration: started, replaced or stopped as reloads change the section.
 * `validate` throws when the configuration with a fetched layer does not load.
 */
export class RemoteConfigRunner {
  private fetcher: RemoteConfigFetcher | undefined;
  private watch: RevertWatch | undefined;
  private readonly validate: (text: string) => void;
  private readonly agent: Agent;
  private reportedLayerError: string | undefined;

  constructor(agent: Agent, crashed: LayerId | undefined, validate: (text: string) => void) {
    this.validate = validate;
    this.agent = agent;
    this.sync();
    if (crashed) this.watch?.reverted(crashed, 'the agent stopped without a clean stop before completing a cycle with it');
  }

  /** A cycle's push reports, for the revert watch (Agent onCycle). */
  observe(startedMs: number, reports: ReadonlyMap<string, PushReport>): void {
    this.watch?.observe(startedMs, reports);
  }

  /** A stop on request: a layer on trial did not crash the agent. */
  stoppedCleanly(): void {
    this.watch?.layers.stoppedCleanly();
  }

  /** SIGHUP and a new remote layer alike: the agent reloads, then the fetcher follows its settings. */
  reload(): void {
    this.agent.reload();
    this.sync();
  }

  sync(): void {
    const config = this.agent.currentConfig;
    if (config.remoteLayerError !== this.reportedLayerError && config.remoteLayerError) {
      log.error('the cached remote configuration does not load; running on the local files until the URL serves one that does', {
        err: config.remoteLayerError,
      });
    }
    this.reportedLayerError = config.remoteLayerError;
    const settings = config.remoteConfig;
    if (this.fetcher && (!settings || this.fetcher.fingerprint !== configFingerprint(settings))) {
      void this.fetcher.stop();
      this.fetcher = undefined;
      this.watch = undefined;
    }
    if (settings && !this.fetcher) {
      const registry = this.agent.metrics.registry;
      const watch = new RevertWatch({
        cacheFile: settings.cacheFile,
        afterCycles: settings.revertAfterFailedCycles,
        reload: () => this.reload(),
        log,
        registry,
      });
      this.watch = watch;
      const cached = config.remoteLayerError ? undefined : watch.layers.current();
      if (cached) layerStatus(registry).running('cached', cached.id);
      this.fetcher = new RemoteConfigFetcher({
        settings,
        validate: this.validate,
        pushingSinks: () => watch.pushingSinks,
        apply: () => this.reload(),
        log,
        registry,
      });
      this.fetcher.start();
    }
  }

  async stop(): Promise<void> {
    await this.fetcher?.stop();
    this.fetcher = undefined;
  }
}

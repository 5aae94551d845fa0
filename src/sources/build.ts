/** Turns the configuration's source sections into running sources. */
import type { AgentConfig } from '../config/config.ts';
import { configFingerprint } from '../config/fingerprint.ts';
import { COLLECTORS } from './host/registry.ts';
import { HostSource } from './host/host-source.ts';
import { createLogger } from '../log.ts';
import { ExporterSource } from './exporter.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import { SelfSource } from './self.ts';
import { countSamples, type Collected, type Source } from './source.ts';

/**
 * The host collectors as one source; collectors are isolated inside it
 * (node_scrape_collector_success). The agent's own process_* go with them, as
 * node_exporter's do, so dashboards' exporter panels work under the host job;
 * they stay under the self job too (another job, so no series twice in a push).
 */
class HostMetricsSource implements Source {
  readonly id = 'host';
  readonly job: string;
  readonly timeoutSeconds: number;
  private readonly host: HostSource;
  private readonly self: SelfMetrics;

  constructor(config: AgentConfig['host'], self: SelfMetrics) {
    this.job = config.job;
    this.self = self;
    this.timeoutSeconds = config.timeoutSeconds;
    // A collector gets a little less than the source, so a hung one is reported failed rather than the whole host.
    this.host = new HostSource(COLLECTORS, { ...config.source, collectorTimeoutMs: Math.max(100, config.timeoutSeconds * 1000 - 250), log: createLogger({ source: 'host' }) });
  }

  async collect(): Promise<Collected> {
    const [host, process] = await Promise.all([this.host.collect(), this.self.families(['process_'])]);
    const families = [...host, ...process];
    return { families, samplesScraped: countSamples(families) };
  }
}

/**
 * The sources of `config`. On a reload, `running` are the current ones: an
 * exporter whose settings are unchanged is kept (with its keep-alive
 * connections); the caller closes those not returned.
 */
export function buildSources(config: AgentConfig, self: SelfMetrics, running: readonly Source[] = []): Source[] {
  const sources: Source[] = [];
  if (config.host.enabled) sources.push(new HostMetricsSource(config.host, self));
  for (const e of config.exporters) {
    const fingerprint = configFingerprint(e);
    const kept = running.find((s) => s.id === `exporter.${e.name}` && s.fingerprint === fingerprint);
    sources.push(kept ?? new ExporterSource(e, self));
  }
  if (config.self.enabled) sources.push(new SelfSource(self, config.self.job, config.agent.timeoutSeconds));
  return sources;
}

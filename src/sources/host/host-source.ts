import type { AgentConfig } from '../../config/config.ts';
import { createLogger } from '../../log.ts';
import type { SelfMetrics } from '../../self-metrics.ts';
import { countSamples, type Collected, type Source } from '../source.ts';
import { CollectorRunner } from './machinery/collector-runner.ts';
import { COLLECTORS } from './machinery/registry.ts';

/**
 * The host collectors as one source; collectors are isolated inside it
 * (node_scrape_collector_success). The agent's own process_* go with them, as
 * node_exporter's do, so dashboards' exporter panels work under the host job;
 * they stay under the self job too (another job, so no series twice in a push).
 */
export class HostSource implements Source {
  readonly id = 'host';
  readonly job: string;
  readonly timeoutSeconds: number;
  private readonly collectors: CollectorRunner;
  private readonly self: SelfMetrics;

  constructor(config: AgentConfig['host'], self: SelfMetrics) {
    this.job = config.job;
    this.self = self;
    this.timeoutSeconds = config.timeoutSeconds;
    // A collector gets a little less than the source, so a hung one is reported failed rather than the whole host.
    this.collectors = new CollectorRunner(COLLECTORS, { ...config.source, collectorTimeoutMs: Math.max(100, config.timeoutSeconds * 1000 - 250), log: createLogger({ source: 'host' }) });
  }

  async collect(): Promise<Collected> {
    const [host, process] = await Promise.all([this.collectors.collect(), this.self.families(['process_'])]);
    const families = [...host, ...process];
    return { families, samplesScraped: countSamples(families) };
  }
}

/**
 * The agent's own metrics as a source (job `edgepush` by default). The process_*
 * families also go with the host job (src/sources/build.ts), as node_exporter
 * exposes its own process in the same scrape as the host.
 */
import type { SelfMetrics } from '../self-metrics.ts';
import { countSamples, type Collected, type Source } from './source.ts';

export class SelfSource implements Source {
  readonly id = 'self';
  readonly job: string;
  readonly timeoutSeconds: number;
  private readonly metrics: SelfMetrics;

  constructor(metrics: SelfMetrics, job: string, timeoutSeconds: number) {
    this.metrics = metrics;
    this.job = job;
    this.timeoutSeconds = timeoutSeconds;
  }

  async collect(): Promise<Collected> {
    const families = await this.metrics.families();
    return { families, samplesScraped: countSamples(families) };
  }
}

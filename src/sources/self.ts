/**
 * The agent's own metrics as a source (job `edgepush` by default). The process_*
 * families also go with the host job (src/sources/build.ts), as node_exporter
 * exposes its own process in the same scrape as the host.
 */
import type { SelfMetrics } from '../self-metrics.ts';
import type { KeySpec, SectionReader } from '../config/schema.ts';
import { checkJob } from '../config/source-job.ts';
import { countSamples, type Collected, type Source } from './source.ts';

/** [self]: whether and under which job the agent pushes its own metrics. */
export interface SelfConfig {
  enabled: boolean;
  job: string;
}

export const SELF_KEYS: readonly KeySpec[] = [
  { key: 'enabled', kind: 'bool', default: 'true', help: "Push the agent's own metrics (edgepush_*, process_*)." },
  { key: 'job', kind: 'label_value', default: 'edgepush', help: 'The job label of the self metrics.' },
];

export function readSelfSection(r: SectionReader): SelfConfig {
  return { enabled: r.bool('enabled')!, job: checkJob(r, r.string('job')!) };
}

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

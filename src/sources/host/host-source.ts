/**
 * The host: its [host] section (keys, parser) and the Source that runs the
 * collectors of collectors/ through machinery/collector-runner.ts.
 */
import type { SourceDefaults } from '../../config/config.ts';
import { convertFlagValue, FlagError, type FlagSpec } from '../../config/flags.ts';
import type { OptionValue } from '../../config/option-values.ts';
import { parseBool, SectionReader, type KeySpec, type SectionValues } from '../../config/schema.ts';
import { checkJob } from '../../config/source-job.ts';
import { createLogger } from '../../log.ts';
import type { SelfMetrics } from '../../self-metrics.ts';
import { countSamples, type Collected, type Source } from '../source.ts';
import { CollectorRunner, type CollectorRunnerConfig } from './machinery/collector-runner.ts';
import { hostConfigFromFlags, hostFlagSpecs } from './machinery/host-flags.ts';
import { COLLECTORS } from './machinery/registry.ts';

/** [host]: the host collectors, configured by node_exporter's flag names. */
export interface HostConfig {
  enabled: boolean;
  job: string;
  timeoutSeconds: number;
  source: CollectorRunnerConfig;
}

export const HOST_FIXED_KEYS: readonly KeySpec[] = [
  { key: 'enabled', kind: 'bool', default: 'true', help: 'Collect the host metrics (node_exporter format).' },
  { key: 'job', kind: 'label_value', default: 'node', help: 'The job label of the host metrics.' },
  { key: 'timeout', kind: 'duration', min: '100ms', max: '1h', help: 'Collection timeout; default [agent] timeout.' },
];

/** [host]: its own keys, and node_exporter's flags by name. */
export function hostKeys(flagSpecs: readonly FlagSpec[] = hostFlagSpecs(COLLECTORS)): KeySpec[] {
  return [...HOST_FIXED_KEYS, ...flagSpecs.map((f): KeySpec => ({ key: f.name, kind: f.path ? 'path' : 'string', help: f.help }))];
}

/** Whether a command-line flag is one of the host's (path.*, collector.*): it then overrides [host]. */
export function isHostFlag(name: string): boolean {
  return hostFlagSpecs(COLLECTORS).some((f) => f.name === name);
}

/** `[host]`; `agent`: the [agent] section (default timeout, interval). */
export function readHostSection(values: SectionValues, agent: SourceDefaults): HostConfig {
  const flagSpecs = hostFlagSpecs(COLLECTORS);
  const r = new SectionReader('host', values, hostKeys(flagSpecs));
  const given = new Map<string, OptionValue>();
  const byName = new Map(flagSpecs.map((f) => [f.name, f]));
  for (const key of r.givenKeys()) {
    const spec = byName.get(key);
    if (!spec) continue;
    try {
      if (spec.kind === 'bool') given.set(key, parseBool(r.raw(key)!));
      else if (spec.kind === 'strings')
        given.set(
          key,
          (r.list(key) ?? []).reduce<OptionValue>((prev, item) => convertFlagValue(spec, item, prev), []),
        );
      else given.set(key, convertFlagValue(spec, r.raw(key)!, undefined));
    } catch (err) {
      throw r.error(key, err instanceof FlagError ? err.message.replace(/^flag --\S+:? ?/, '') : (err as Error).message);
    }
  }
  const timeoutSeconds = r.duration('timeout') ?? agent.timeoutSeconds;
  if (timeoutSeconds >= agent.intervalSeconds) throw r.error('timeout', `must be shorter than [agent] interval (${agent.intervalSeconds}s)`);
  return { enabled: r.bool('enabled')!, job: checkJob(r, r.string('job')!), timeoutSeconds, source: hostConfigFromFlags(COLLECTORS, given) };
}

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

  constructor(config: HostConfig, self: SelfMetrics) {
    this.job = config.job;
    this.self = self;
    this.timeoutSeconds = config.timeoutSeconds;
    // A collector gets a little less than the source, so a hung one is reported failed rather than the whole host.
    this.collectors = new CollectorRunner(COLLECTORS, {
      ...config.source,
      collectorTimeoutMs: Math.max(100, config.timeoutSeconds * 1000 - 250),
      log: createLogger({ source: 'host' }),
    });
  }

  async collect(): Promise<Collected> {
    const [host, process] = await Promise.all([this.collectors.collect(), this.self.families(['process_'])]);
    const families = [...host, ...process];
    return { families, samplesScraped: countSamples(families) };
  }
}

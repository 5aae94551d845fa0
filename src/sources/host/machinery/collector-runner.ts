import { FamilySet, labelsKey, type MetricFamily } from '../../../model/family.ts';
import { createLogger, type Logger } from '../../../log.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import type { Collector, CollectorDefinition, HostPaths } from './collector.ts';
import { OptionValues, type OptionValue } from '../../../config/option-values.ts';
import { startTimer, type Timer } from '../../../timer.ts';

export interface CollectorRunnerConfig {
  paths: HostPaths;
  /** Names of the collectors to run. */
  enabled: ReadonlySet<string>;
  /** Option overrides by flag name (e.g. collector.netdev.device-include). */
  options?: ReadonlyMap<string, OptionValue>;
  /** A collector taking longer is abandoned and reported failed (its late result is dropped). */
  collectorTimeoutMs?: number;
  log?: Logger;
}

interface RunningCollector {
  name: string;
  collector: Collector;
}

const SUCCESS_HELP = 'node_exporter: Whether a collector succeeded.';
const DURATION_HELP = 'node_exporter: Duration of a collector scrape.';

/**
 * Runs every enabled host collector concurrently, each isolated
 * (a failure or timeout only sets its own node_scrape_collector_success to 0),
 * and merges their families.
 */
export class CollectorRunner {
  private readonly running: RunningCollector[];
  private readonly timeoutMs: number;
  private readonly log: Logger;

  constructor(definitions: readonly CollectorDefinition[], config: CollectorRunnerConfig) {
    this.log = config.log ?? createLogger({ source: 'host' });
    this.timeoutMs = config.collectorTimeoutMs ?? 10_000;
    const allSpecs = definitions.flatMap((d) => d.options ?? []);
    const options = new OptionValues(allSpecs, config.options ?? new Map());
    this.running = definitions
      .filter((d) => config.enabled.has(d.name))
      .map((d) => ({
        name: d.name,
        collector: d.create({ paths: config.paths, options, log: this.log.child({ collector: d.name }), enabledCollectors: config.enabled }),
      }));
  }

  async collect(): Promise<MetricFamily[]> {
    const results = await Promise.all(this.running.map((r) => this.runOne(r)));
    const merged = new MergedFamilies();
    // The textfile collector's families come from the user's files: merged last, so a
    // family there that clashes with a collector's own can never displace it.
    const order = [...results].sort((a, b) => Number(a.name === 'textfile') - Number(b.name === 'textfile'));
    for (const r of order) {
      const conflicts = r.families ? merged.add(r.families) : [];
      if (conflicts.length > 0) {
        r.success = false;
        this.log.error('collector output conflicts with another collector; the conflicting part was dropped', {
          collector: r.name,
          conflicts: conflicts.slice(0, 5).join('; '),
        });
      }
    }
    const out = new FamilySet();
    out.addFamilies(merged.families());
    for (const r of results) {
      out.gauge('node_scrape_collector_duration_seconds', DURATION_HELP, r.seconds, { collector: r.name });
      out.gauge('node_scrape_collector_success', SUCCESS_HELP, r.success ? 1 : 0, { collector: r.name });
    }
    return out.toArray();
  }

  private async runOne(r: RunningCollector): Promise<{ name: string; families?: MetricFamily[]; success: boolean; seconds: number }> {
    const start = process.hrtime.bigint();
    let timer: Timer | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = startTimer(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs, { unref: true });
      });
      const families = await Promise.race([r.collector.collect(), timeout]);
      return { name: r.name, families, success: true, seconds: elapsed(start) };
    } catch (err) {
      if (err instanceof NoDataError) this.log.debug('collector returned no data', { collector: r.name, err });
      else this.log.error('collector failed', { collector: r.name, err });
      return { name: r.name, success: false, seconds: elapsed(start) };
    } finally {
      timer?.clear();
    }
  }
}

/**
 * Families of several collectors merged without ever producing an invalid
 * exposition (which a Pushgateway would refuse whole): a family whose type
 * differs from the one already merged, and a series already merged, are
 * dropped and reported as conflicts.
 */
class MergedFamilies {
  private readonly byName = new Map<string, { family: MetricFamily; series: Set<string> }>();

  add(families: readonly MetricFamily[]): string[] {
    const conflicts: string[] = [];
    for (const f of families) {
      let entry = this.byName.get(f.name);
      if (!entry) {
        entry = { family: { ...f, samples: [] }, series: new Set() };
        this.byName.set(f.name, entry);
      } else if (entry.family.type !== f.type) {
        conflicts.push(`${f.name} is a ${f.type}, already merged as a ${entry.family.type}`);
        continue;
      }
      for (const sample of f.samples) {
        const key = sample.name + '\u0002' + labelsKey(sample.labels);
        if (entry.series.has(key)) {
          conflicts.push(`${sample.name}${JSON.stringify(sample.labels)} given twice`);
          continue;
        }
        entry.series.add(key);
        entry.family.samples.push(sample);
      }
    }
    return conflicts;
  }

  families(): MetricFamily[] {
    return [...this.byName.values()].map((e) => e.family);
  }
}

function elapsed(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Which collectors run, from defaults, --collector.disable-defaults and explicit per-collector switches. */
export function resolveEnabled(definitions: readonly CollectorDefinition[], disableDefaults: boolean, explicit: ReadonlyMap<string, boolean>): Set<string> {
  const enabled = new Set<string>();
  for (const d of definitions) {
    const on = explicit.get(d.name) ?? (disableDefaults ? false : d.defaultEnabled);
    if (on) enabled.add(d.name);
  }
  return enabled;
}

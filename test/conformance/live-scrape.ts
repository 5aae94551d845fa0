/** What the live comparisons with node_exporter share: one scrape of each side, taken together, and the shape of a family. */
import { parseText } from '../../src/model/text-parser.ts';
import type { MetricFamily } from '../../src/model/family.ts';
import type { CollectorRunner } from '../../src/sources/host/machinery/collector-runner.ts';
import { startNodeExporter } from '../helpers/servers.ts';

export interface LiveScrapes {
  theirs: Map<string, MetricFamily>;
  ours: Map<string, MetricFamily>;
}

/**
 * Starts node_exporter with `flags`, then scrapes it and collects `source` at
 * the same moment (so values that move slowly agree), each as name → family.
 */
export async function scrapeBoth(flags: string[], source: CollectorRunner): Promise<LiveScrapes> {
  const node = await startNodeExporter(flags);
  try {
    const [res, mine] = await Promise.all([fetch(node.url + '/metrics'), source.collect()]);
    return { theirs: new Map(parseText(await res.text()).map((f) => [f.name, f])), ours: new Map(mine.map((f) => [f.name, f])) };
  } finally {
    await node.stop();
  }
}

/** The distinct label-name sets of a family's series, e.g. "cpu,mode | device". */
export function labelNames(f: MetricFamily): string {
  return [...new Set(f.samples.map((s) => Object.keys(s.labels).sort().join(',')))].sort().join(' | ');
}

/**
 * Run by btrfs.test.ts as PID 1 of its own mount and PID namespaces, where
 * the test mounted a two-device btrfs (so /proc/1/mountinfo, which both
 * exporters read, lists it, and no other process on the box sees the mount).
 * Prints the node_btrfs_device_* families as node_exporter and edgepush see
 * them, one read after the other (nothing writes to the filesystem).
 */
import { parseText } from '../../../src/model/text-parser.ts';
import type { MetricFamily } from '../../../src/model/family.ts';
import { COLLECTORS } from '../../../src/sources/host/registry.ts';
import { HostSource } from '../../../src/sources/host/host-source.ts';
import { DEFAULT_HOST_PATHS } from '../../../src/sources/host/collector.ts';
import { startNodeExporter } from '../../helpers/servers.ts';

/** The per-device families, families and samples in a fixed order (the exposition format sorts by labels). */
function deviceFamilies(families: MetricFamily[]): MetricFamily[] {
  const key = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).sort());
  return families
    .filter((f) => f.name.startsWith('node_btrfs_device_'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((f) => ({ ...f, samples: [...f.samples].sort((a, b) => key(a.labels).localeCompare(key(b.labels))) }));
}

const node = await startNodeExporter(['--collector.disable-defaults', '--collector.btrfs']);
try {
  const theirs = deviceFamilies(parseText(await (await fetch(node.url + '/metrics')).text()));
  const ours = deviceFamilies(await new HostSource(COLLECTORS, { paths: DEFAULT_HOST_PATHS, enabled: new Set(['btrfs']) }).collect());
  process.stdout.write(JSON.stringify({ theirs, ours }));
} finally {
  await node.stop();
}

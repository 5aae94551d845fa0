/**
 * Run by btrfs.test.ts as PID 1 of its own mount and PID namespaces, where
 * the test mounted a two-device btrfs (so /proc/1/mountinfo, which both
 * exporters read, lists it, and no other process on the box sees the mount).
 * Prints the node_btrfs_device_* families as node_exporter and edgepush see
 * them, one read after the other (nothing writes to the filesystem).
 */
import { parseText } from '../../../src/model/text-parser.ts';
import { COLLECTORS } from '../../../src/sources/host/machinery/registry.ts';
import { CollectorRunner } from '../../../src/sources/host/machinery/collector-runner.ts';
import { DEFAULT_HOST_PATHS } from '../../../src/sources/host/machinery/collector.ts';
import { startNodeExporter } from '../../helpers/servers.ts';
import { sortedFamilies } from './sorted-families.ts';

const node = await startNodeExporter(['--collector.disable-defaults', '--collector.btrfs']);
try {
  const theirs = sortedFamilies(parseText(await (await fetch(node.url + '/metrics')).text()), 'node_btrfs_device_');
  const ours = sortedFamilies(
    await new CollectorRunner(COLLECTORS, { paths: DEFAULT_HOST_PATHS, enabled: new Set(['btrfs']) }).collect(),
    'node_btrfs_device_',
  );
  process.stdout.write(JSON.stringify({ theirs, ours }));
} finally {
  await node.stop();
}

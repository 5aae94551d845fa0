/**
 * Live comparison with the real node_exporter (Debian's 1.5.0) on this
 * machine: every family it emits from a collector we implement must be
 * emitted by edgepush with the same TYPE, HELP and label names, and
 * slow-moving values must agree. Where 1.5.0 differs from 1.12 (whose
 * fixtures are the reference), the difference is a named exception below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricFamily } from '../../src/model/family.ts';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';
import { CollectorRunner, resolveEnabled } from '../../src/sources/host/machinery/collector-runner.ts';
import { DEFAULT_HOST_PATHS } from '../../src/sources/host/machinery/collector.ts';
import { missingPeers } from '../helpers/servers.ts';
import { labelNames, scrapeBoth } from './live-scrape.ts';
import { ownerOf } from './family-owners.ts';

/**
 * Known, named differences between node_exporter 1.5.0 (the live peer) and
 * 1.12 (the reference): family → why. HELP/TYPE/label checks are skipped for these.
 */
export const KNOWN_1_5_DIFFERENCES: Record<string, string> = {
  // 1.5 exported every /proc/meminfo key; 1.12 only the fields procfs.Meminfo names (meminfo_linux.go).
  ...Object.fromEntries(
    ['Balloon', 'FileHugePages', 'FilePmdMapped', 'Hugetlb', 'KReclaimable', 'SecPageTables', 'ShadowCallStack', 'Unaccepted'].map((k) => [
      `node_memory_${k}_bytes`,
      'node_exporter 1.12 exports only the meminfo fields procfs names; 1.5 exported every key',
    ]),
  ),
  // node_exporter 1.12 labels every filesystem series with device_error (the statfs error text, "" when fine); 1.5 did not.
  ...Object.fromEntries(
    ['avail_bytes', 'device_error', 'files', 'files_free', 'free_bytes', 'readonly', 'size_bytes'].map((k) => [
      `node_filesystem_${k}`,
      'the device_error label was added after 1.5; 1.12 has it (filesystem_common.go)',
    ]),
  ),
  node_disk_info: 'the rotational label (from /sys/block/<dev>/queue/rotational) was added after 1.5; 1.12 has it (e2e-output.txt)',
  node_network_info: 'the adminstate label (from the IFF_UP flag) was added after 1.5; 1.12 has it (e2e-output.txt)',
};

/** Families whose label set legitimately depends on the moment (not compared). */
const VOLATILE_LABELS = new Set<string>([]);

const skip = missingPeers('nodeExporter');
const implemented = new Set(COLLECTORS.map((c) => c.name));

function value(f: MetricFamily | undefined, labels: Record<string, string> = {}): number | undefined {
  return f?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

test('edgepush emits every family the live node_exporter emits from the implemented collectors, alike', { skip }, async () => {
  // Only collectors that node_exporter 1.5.0 runs by default and that we implement.
  const enabled = resolveEnabled(COLLECTORS, false, new Map());
  const { theirs, ours } = await scrapeBoth([], new CollectorRunner(COLLECTORS, { paths: DEFAULT_HOST_PATHS, enabled }));

  const problems: string[] = [];
  let compared = 0;
  for (const [name, want] of theirs) {
    const owner = ownerOf(name);
    if (!owner || owner.startsWith('(') || !implemented.has(owner)) continue;
    if (name in KNOWN_1_5_DIFFERENCES) continue;
    compared++;
    const got = ours.get(name);
    if (!got) {
      problems.push(`${name} (${owner}): node_exporter emits it, edgepush does not`);
      continue;
    }
    if (got.type !== want.type) problems.push(`${name}: TYPE ${got.type}, node_exporter ${want.type}`);
    if (got.help !== want.help) problems.push(`${name}: HELP ${JSON.stringify(got.help)}, node_exporter ${JSON.stringify(want.help)}`);
    if (!VOLATILE_LABELS.has(name) && labelNames(got) !== labelNames(want))
      problems.push(`${name}: label names {${labelNames(got)}}, node_exporter {${labelNames(want)}}`);
  }

  // Slow-moving values must agree where both sides have them.
  const agree = (name: string, labels: Record<string, string> = {}, tolerance = 0): void => {
    const a = value(ours.get(name), labels);
    const b = value(theirs.get(name), labels);
    if (a === undefined || b === undefined) return;
    if (Math.abs(a - b) > tolerance) problems.push(`${name}${JSON.stringify(labels)}: edgepush ${a}, node_exporter ${b}`);
  };
  agree('node_memory_MemTotal_bytes');
  agree('node_memory_SwapTotal_bytes');
  agree('node_boot_time_seconds', {}, 1);
  const cpus = (m: Map<string, MetricFamily>): number | undefined => m.get('node_cpu_seconds_total')?.samples.filter((s) => s.labels['mode'] === 'idle').length;
  if (ours.has('node_cpu_seconds_total') && theirs.has('node_cpu_seconds_total')) assert.equal(cpus(ours), cpus(theirs), 'cpu count');
  for (const s of theirs.get('node_filesystem_size_bytes')?.samples ?? [])
    agree('node_filesystem_size_bytes', { mountpoint: s.labels['mountpoint']!, device: s.labels['device']! });
  const uname = (m: Map<string, MetricFamily>): string | undefined => {
    const l = m.get('node_uname_info')?.samples[0]?.labels;
    return l
      ? JSON.stringify({ sysname: l['sysname'], release: l['release'], version: l['version'], machine: l['machine'], nodename: l['nodename'] })
      : undefined;
  };
  if (ours.has('node_uname_info') && theirs.has('node_uname_info')) assert.equal(uname(ours), uname(theirs), 'uname');

  console.log(
    `# live comparison: ${compared} node_exporter 1.5.0 families of implemented collectors compared, ${problems.length} problems, ${Object.keys(KNOWN_1_5_DIFFERENCES).length} known 1.5/1.12 differences`,
  );
  assert.deepEqual(problems, [], problems.join('\n'));
});

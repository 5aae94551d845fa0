/**
 * Live comparison of the optional collectors (and the textfile collector)
 * with Debian's node_exporter 1.5.0 on this machine, both run with the same
 * flags: every family node_exporter emits from them must be emitted by
 * edgepush with the same TYPE, HELP and label names, and values that do not
 * move between two reads must agree. 1.5.0 has no pcidevice or xfrm
 * collector; qdisc and wifi need netlink (unavailable to edgepush).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MetricFamily } from '../../src/model/family.ts';
import { parseFlags } from '../../src/config/flags.ts';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';
import { hostConfigFromFlags, hostFlagSpecs } from '../../src/sources/host/machinery/host-flags.ts';
import { CollectorRunner } from '../../src/sources/host/machinery/collector-runner.ts';
import { missingPeers } from '../helpers/servers.ts';
import { labelNames, scrapeBoth } from './live-scrape.ts';
import { ownerOf } from './family-owners.ts';

const COMPARED = [
  'processes',
  'sysctl',
  'slabinfo',
  'ksmd',
  'lnstat',
  'cgroups',
  'drbd',
  'textfile',
  'interrupts',
  'buddyinfo',
  'zoneinfo',
  'meminfo_numa',
  'mountstats',
];

/** Known, named differences between node_exporter 1.5.0 (the live peer) and 1.12 (the reference): family → why. Nothing of these is compared. */
export const KNOWN_1_5_OPTIONAL_DIFFERENCES: Record<string, string> = {};

/** HELP texts that changed after 1.5.0 (the rest of the family is still compared). */
const KNOWN_1_5_HELP_CHANGES: Array<[RegExp, string]> = [[/^node_ksmd_/, "1.5.0's HELP is \"ksmd '<file>' file.\"; 1.12 describes each file (e2e-output.txt)"]];

/** Families whose values move between two reads a few milliseconds apart (only their shape is compared). */
const MOVING =
  /^node_(processes_(pids|threads|state|threads_state)|slabinfo_(active_objects|objects)|lnstat_|cgroups_cgroups|ksmd_(full_scans|pages_|general_profit)|sysctl_fs_file_nr|interrupts_total|buddyinfo_blocks|zoneinfo_|memory_numa_)/;

const skip = missingPeers('nodeExporter');

function seriesValues(f: MetricFamily): Map<string, number> {
  return new Map(f.samples.map((s) => [JSON.stringify(Object.entries(s.labels).sort()), s.value]));
}

/** Values of the series both sides have (a slab cache may come or go between the two reads); none in common is a difference. */
function valueDifferences(got: MetricFamily, want: MetricFamily): string[] {
  const ours = seriesValues(got);
  const theirs = seriesValues(want);
  const common = [...theirs.keys()].filter((k) => ours.has(k));
  if (common.length === 0) return [`no series in common: ours ${[...ours.keys()].join(' ')}, node_exporter ${[...theirs.keys()].join(' ')}`];
  return common.filter((k) => !Object.is(ours.get(k), theirs.get(k))).map((k) => `${k}: ${ours.get(k)}, node_exporter ${theirs.get(k)}`);
}

test('the optional collectors and textfile agree with the live node_exporter', { skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-live-textfile-'));
  const prom = path.join(dir, 'site.prom');
  writeFileSync(prom, '# HELP site_info Where the box is.\n# TYPE site_info gauge\nsite_info{site="lab"} 1\nno_help_total{a="x"} 3\n');
  utimesSync(prom, 1_700_000_000, 1_700_000_000);
  const flags = [
    '--collector.disable-defaults',
    ...COMPARED.map((c) => `--collector.${c}`),
    '--collector.sysctl.include=kernel.threads-max',
    '--collector.sysctl.include=fs.file-nr:total,current,max',
    '--collector.sysctl.include=kernel.pid_max',
    '--collector.sysctl.include-info=kernel.core_pattern',
    `--collector.textfile.directory=${dir}`,
  ];
  const config = hostConfigFromFlags(COLLECTORS, parseFlags(flags, hostFlagSpecs(COLLECTORS)).given);
  const { theirs, ours } = await scrapeBoth(flags, new CollectorRunner(COLLECTORS, config));

  const problems: string[] = [];
  let compared = 0;
  for (const [name, want] of theirs) {
    const owner = ownerOf(name) ?? (name === 'site_info' || name === 'no_help_total' ? 'textfile' : undefined);
    if (!owner || !COMPARED.includes(owner) || name in KNOWN_1_5_OPTIONAL_DIFFERENCES) continue;
    compared++;
    const got = ours.get(name);
    if (!got) {
      problems.push(`${name} (${owner}): missing`);
      continue;
    }
    if (got.help !== want.help && !KNOWN_1_5_HELP_CHANGES.some(([re]) => re.test(name)))
      problems.push(`${name}: HELP ${JSON.stringify(got.help)}, node_exporter ${JSON.stringify(want.help)}`);
    if (got.type !== want.type) problems.push(`${name}: TYPE ${got.type}, node_exporter ${want.type}`);
    if (labelNames(got) !== labelNames(want)) problems.push(`${name}: labels ${labelNames(got)}, node_exporter ${labelNames(want)}`);
    else if (!MOVING.test(name)) for (const d of valueDifferences(got, want)) problems.push(`${name}: ${d}`);
  }
  for (const c of COMPARED) {
    const want = theirs.get('node_scrape_collector_success')?.samples.find((s) => s.labels['collector'] === c)?.value;
    const got = ours.get('node_scrape_collector_success')?.samples.find((s) => s.labels['collector'] === c)?.value;
    if (want !== got) problems.push(`node_scrape_collector_success{collector="${c}"}: ${got}, node_exporter ${want}`);
  }
  console.log(`# live optional: ${compared} families of ${COMPARED.join(', ')} compared with node_exporter 1.5.0`);
  assert.ok(compared >= 10, `only ${compared} families compared`);
  assert.deepEqual(problems, []);
});

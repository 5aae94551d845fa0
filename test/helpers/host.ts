/**
 * Helpers for host collector tests: run collectors in-process on a tree,
 * read what node_exporter's e2e output expects of a collector, and build
 * small (garbled) fixture trees.
 */
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import type { MetricFamily } from '../../src/model/family.ts';
import { encodeText } from '../../src/model/text-encoder.ts';
import { parseText } from '../../src/model/text-parser.ts';
import { parseFlags } from '../../src/config/flags.ts';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';
import { hostConfigFromFlags, hostFlagSpecs } from '../../src/sources/host/machinery/host-flags.ts';
import { CollectorRunner } from '../../src/sources/host/machinery/collector-runner.ts';
import { E2E_CWD, FIXTURES } from './fixtures.ts';
import { E2E_COLLECTOR_OPTIONS, E2E_COMMON_FLAGS, flagCollector } from '../conformance/e2e-flags.ts';
import { ownerOf } from '../conformance/family-owners.ts';

export interface HostRun {
  families: MetricFamily[];
  byName: Map<string, MetricFamily>;
  /** node_scrape_collector_success by collector. */
  success: Map<string, number>;
  text: string;
}

/**
 * Runs the named collectors in-process with node_exporter-style flags, e.g.
 * runCollectors(['cpu'], ['--path.procfs=/tmp/x/proc']). Relative paths in
 * flags are resolved against `cwd` (default: the e2e directory).
 */
export async function runCollectors(names: readonly string[], flags: readonly string[] = [], cwd = E2E_CWD): Promise<HostRun> {
  const args = ['--collector.disable-defaults', ...names.map((n) => `--collector.${n}`), ...flags];
  const parsed = parseFlags(args, hostFlagSpecs(COLLECTORS));
  const config = hostConfigFromFlags(COLLECTORS, parsed.given);
  // Relative paths stay as given (the collection runs from `cwd`): node_exporter puts them
  // into labels unchanged, e.g. rapl's path label.
  const prevCwd = process.cwd();
  process.chdir(cwd);
  try {
    const families = await new CollectorRunner(COLLECTORS, config).collect();
    const success = new Map<string, number>();
    for (const s of families.find((f) => f.name === 'node_scrape_collector_success')?.samples ?? []) success.set(s.labels['collector']!, s.value);
    return { families, byName: new Map(families.map((f) => [f.name, f])), success, text: encodeText(families) };
  } finally {
    process.chdir(prevCwd);
  }
}

/** Runs collectors on node_exporter's fixture tree with the e2e flags of those collectors. */
export function runOnFixtures(names: readonly string[], extraFlags: readonly string[] = []): Promise<HostRun> {
  const options = E2E_COLLECTOR_OPTIONS.filter((f) => names.includes(flagCollector(f) ?? ''));
  return runCollectors(names, [...E2E_COMMON_FLAGS, ...options, ...extraFlags]);
}

let expectedCache: MetricFamily[] | undefined;

/** The families e2e-output.txt attributes to a collector (samples filtered out by the e2e test are absent). */
export function expectedFamiliesOf(collector: string): MetricFamily[] {
  expectedCache ??= parseText(readFileSync(path.join(FIXTURES, 'e2e-output.txt'), 'utf8'));
  return expectedCache.filter((f) => ownerOf(f.name) === collector);
}

/**
 * Asserts a collector's output on the fixtures is exactly node_exporter's:
 * same family set, HELP, TYPE and samples (families whose samples the e2e
 * test filters out are compared on HELP/TYPE only).
 */
export async function assertMatchesE2E(collector: string, extraFlags: readonly string[] = []): Promise<HostRun> {
  const run = await runOnFixtures([collector], extraFlags);
  assert.equal(run.success.get(collector), 1, `collector ${collector} failed on the fixtures`);
  const expected = expectedFamiliesOf(collector);
  assert.ok(expected.length > 0, `e2e-output.txt has no family of ${collector}`);
  const mine = run.families.filter((f) => ownerOf(f.name) === collector);
  assert.deepEqual(mine.map((f) => f.name).sort(), expected.map((f) => f.name).sort(), `family names of ${collector}`);
  for (const want of expected) {
    const got = run.byName.get(want.name)!;
    assert.equal(got.help, want.help, `HELP of ${want.name}`);
    assert.equal(got.type, want.type, `TYPE of ${want.name}`);
    if (want.samples.length > 0) assert.equal(encodeText([got]), encodeText([want]), `samples of ${want.name}`);
  }
  return run;
}

/**
 * Makes a temporary tree from relative paths to contents, e.g.
 * makeTree({ 'proc/stat': 'garbage' }), for bad-input tests. Returns its root;
 * use `${root}/proc` and `${root}/sys` as --path.procfs / --path.sysfs.
 */
export function makeTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'edgepush-tree-'));
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  mkdirSync(path.join(root, 'proc'), { recursive: true });
  mkdirSync(path.join(root, 'sys'), { recursive: true });
  return root;
}

export function treeFlags(root: string): string[] {
  return [`--path.procfs=${root}/proc`, `--path.sysfs=${root}/sys`, `--path.rootfs=${root}`, `--path.udev.data=${root}/udev`];
}

/** Reads a fixture file (to build a truncated copy of it). */
export function fixtureText(rel: string): string {
  return readFileSync(path.join(FIXTURES, rel), 'utf8');
}

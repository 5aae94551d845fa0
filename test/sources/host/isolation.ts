/**
 * The bad-input check shared by the hardware collectors' tests: a garbled
 * tree must set only that collector's node_scrape_collector_success to 0,
 * while loadavg, run beside it on a valid /proc/loadavg, still succeeds.
 */
import assert from 'node:assert/strict';
import { makeTree, runCollectors, treeFlags, type HostRun } from '../../helpers/host.ts';

export async function assertFailsAlone(collector: string, files: Record<string, string>, extraFlags: readonly string[] = []): Promise<HostRun> {
  const root = makeTree({ 'proc/loadavg': '0.02 0.04 0.05 1/497 11947\n', ...files });
  const run = await runCollectors([collector, 'loadavg'], [...treeFlags(root), ...extraFlags]);
  assert.equal(run.success.get(collector), 0, `${collector} should fail on the garbled tree`);
  assert.equal(run.success.get('loadavg'), 1, 'loadavg must be unaffected');
  assert.ok(run.byName.has('node_load1'));
  return run;
}

/** Runs a collector on a tree without its data source: it must emit nothing, with node_exporter's success value. */
export async function runOnEmptyTree(collector: string, files: Record<string, string> = {}): Promise<HostRun> {
  const root = makeTree(files);
  return runCollectors([collector], treeFlags(root));
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { MetricFamily } from '../../../../src/model/family.ts';
import { tcpStateFamilies } from '../../../../src/sources/host/collectors/tcpstat.ts';
import { REPO_ROOT } from '../../../helpers/fixtures.ts';
import { runProcess } from '../../../helpers/run.ts';
import { missingPeers } from '../../../helpers/servers.ts';
import { nativeAddonSkip } from '../native-skip.ts';

function byState(families: MetricFamily[]): Record<string, number> {
  return Object.fromEntries(families.flatMap((f) => f.samples.map((s) => [s.labels['state']!, s.value])));
}

const slots = (counts: Record<number, number>): number[] => Array.from({ length: 16 }, (_, i) => counts[i] ?? 0);

test('tcpstat sums the address families by state and emits the queue sums once there is a socket, as node_exporter', () => {
  const v4 = { byState: slots({ 1: 3, 10: 2, 6: 1 }), rqueue: 5, wqueue: 4096 };
  const v6 = { byState: slots({ 1: 1, 10: 1, 13: 1 }), rqueue: 0, wqueue: 511 };
  assert.deepEqual(byState(tcpStateFamilies([v4, v6])), { established: 4, listen: 3, time_wait: 1, unknown: 1, rx_queued_bytes: 5, tx_queued_bytes: 4607 });
  assert.deepEqual(tcpStateFamilies([{ byState: slots({}), rqueue: 0, wqueue: 0 }]), []);
});

const netnsSkip = process.getuid?.() === 0 ? undefined : 'needs root to make a network namespace (unshare --net)';
const skip = nativeAddonSkip() ?? missingPeers('nodeExporter') ?? netnsSkip;

test("tcpstat agrees with the live node_exporter in a network namespace of its own, listeners' backlog limits included", { skip }, async () => {
  const script = path.join(REPO_ROOT, 'test', 'sources', 'host', 'tcpstat-netns.ts');
  const run = await runProcess('unshare', ['--net', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" --no-warnings "${script}"`], {
    cwd: REPO_ROOT,
    timeoutMs: 120_000,
  });
  assert.equal(run.code, 0, run.stderr);
  const { theirs, ours, somaxconn } = JSON.parse(run.stdout) as { theirs: MetricFamily; ours: MetricFamily; somaxconn: number };
  assert.equal(ours.help, theirs.help);
  assert.equal(ours.type, theirs.type);
  const { tx_queued_bytes: theirTx, ...theirStates } = byState([theirs]);
  const { tx_queued_bytes: ourTx, ...ourStates } = byState([ours]);
  // Two listeners (node_exporter's and the script's) and two connections (the script's and the scrape's).
  assert.deepEqual(ourStates, { established: 4, listen: 2, rx_queued_bytes: 0 });
  assert.deepEqual(theirStates, ourStates);
  // sock_diag gives a listener's backlog limit as its send queue: node_exporter's (somaxconn) + the script's 7
  // (the script read until nothing was in flight).
  assert.equal(ourTx, somaxconn + 7);
  // node_exporter reads while its scrape's request may still be unacknowledged (delayed ACK): at most that request more.
  assert.ok(theirTx! >= ourTx! && theirTx! - ourTx! < 1024, `tx_queued_bytes: edgepush ${ourTx}, node_exporter ${theirTx}`);
});

/**
 * The fleet drill at small size (see scripts/fleet/): 20 boxes of real agent
 * code against the real receivers, through a 30 s remote-write outage, a
 * gateway restart, a configuration roll-out and a decommission of 10%.
 * Asserts outcomes only (nothing lost, every group in place, roll-out
 * converged, decommissioned boxes gone), never an amount of work done nor
 * a time: the timings are the benchmark's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDrill, SCENARIOS } from '../../scripts/fleet/drill.ts';
import { missingPeers } from '../helpers/servers.ts';

const skip = missingPeers('pushgateway', 'prometheus', 'victoriametrics');

test('a fleet of 20 boxes (5 s interval) loses nothing through an outage, converges on a roll-out and leaves nothing behind when decommissioned', {
  skip,
  timeout: 600_000,
}, async (t) => {
  const log: string[] = [];
  const r = await runDrill({
    boxes: 20,
    intervalSeconds: 5,
    workers: 1,
    gateways: 3,
    steadySeconds: 10,
    outageSeconds: 30,
    gatewayOutageSeconds: 8,
    remoteConfigIntervalSeconds: 2,
    // Generous: a loaded machine is slow, not wrong; what matters is the outcome once it converged.
    patienceSeconds: 240,
    scenarios: new Set(SCENARIOS),
    log: (line) => log.push(`${new Date().toISOString()} ${line}`),
  });
  const context = `drill log:\n${log.join('\n')}`;
  t.diagnostic(context);
  assert.equal(r.outage!.samplesLost, 0, context);
  assert.equal(r.loss.dropped, 0, context);
  assert.deepEqual(r.loss.mismatched, { vm: [], prom: [] }, context);
  // Every box ran at least two cycles before the scenarios (the drill waits for it), so the check covered something;
  // how much depends on how fast a loaded machine cycles, so no floor beyond that.
  assert.equal(r.loss.boxesChecked, 18, `every box but the 2 decommissioned has samples checked; ${context}`);
  assert.ok(r.loss.samplesExpected > 0, context);
  assert.deepEqual(r.notConverged, [], context);
  assert.deepEqual(r.groupProblems, [], context);
  assert.equal(r.gateway!.staleOrDuplicate, 0, context);
  assert.equal(r.rollout!.notApplied, 0, context);
  assert.deepEqual(r.decommission!.failures, [], context);
  assert.equal(r.decommission!.boxes, 2);
  for (const [where, seconds] of Object.entries(r.decommission!.goneSeconds))
    assert.ok(Number.isFinite(seconds), `decommissioned boxes still in ${where}; ${context}`);
});

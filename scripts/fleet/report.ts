/** The drill's measurements as tables, one per scenario. */
import os from 'node:os';
import { mib, table } from '../bench/stats.ts';
import type { DrillResult } from './drill.ts';

const n0 = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const s1 = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} s` : 'not reached');
const msText = (v: number): string => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');

export function printReport(r: DrillResult): void {
  const o = r.options;
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  console.log(
    `\n# fleet drill: ${o.boxes} boxes, interval ${o.intervalSeconds}s, ${o.gateways} gateways, ${o.workers} worker processes, drain_start_rate ${o.drainStartRate ?? 'default'}${o.vmFlags?.length ? `, VictoriaMetrics ${o.vmFlags.join(' ')}` : ''}${o.vmCpuCores !== undefined ? `, VictoriaMetrics held to ${o.vmCpuCores} cores` : ''}, patience ${o.patienceSeconds}s (${new Date().toISOString()}, load ${load})`,
  );
  console.log(`all boxes running with their first layer after ${s1(r.startSeconds)}`);
  if (r.steady) {
    const s = r.steady;
    console.log(`\n## steady state (${s1(s.seconds)})`);
    table([
      ['gateway', 'boxes', 'push p50', 'push p99', 'CPU (cores)', 'RSS', `scrape (interval ${o.intervalSeconds}s)`],
      ...Object.entries(s.pushMs).map(([gw, p]) => [
        gw,
        String(p.boxes),
        msText(p.p50),
        msText(p.p99),
        (s.processes[gw]?.cpuCores ?? NaN).toFixed(2),
        mib(s.processes[gw]?.rssBytes ?? NaN),
        `${(s.scrapeSeconds[gw] ?? NaN).toFixed(3)} s`,
      ]),
    ]);
    console.log('');
    table([
      ['receiver', 'samples/s', 'requests/s', 'CPU (cores)', 'samples/s per core', 'RSS', 'lag p50', 'lag p99'],
      ...(['vm', 'prom'] as const).map((rcv) => {
        const w = s.receiverSamplesPerSecond[rcv]!;
        return [
          rcv,
          n0(w.rate),
          w.requestsPerSecond.toFixed(1),
          (s.processes[rcv]?.cpuCores ?? NaN).toFixed(2),
          n0(w.perCore),
          mib(s.processes[rcv]?.rssBytes ?? NaN),
          msText(s.lagMs[rcv]!.p50),
          msText(s.lagMs[rcv]!.p99),
        ];
      }),
      ['scraper', '', '', (s.processes['scraper']?.cpuCores ?? NaN).toFixed(2), '', mib(s.processes['scraper']?.rssBytes ?? NaN), '', ''],
    ]);
    console.log(
      `agents: ${s.agentCpuMsPerBoxCycle.toFixed(1)} ms CPU per box-cycle; workers' RSS ${mib(s.workersRssBytes)} (${mib(s.workersRssBytes / o.boxes)} per box)`,
    );
  }
  if (r.outage) {
    const u = r.outage;
    console.log(`\n## receiver outage and return (VictoriaMetrics down ${u.outageSeconds} s)`);
    table([
      [
        'drain (back → every backlog drained)',
        'peak req/s (steady)',
        'peak samples/s (steady)',
        'retries after return',
        'receiver errors',
        'samples lost',
        'worst staleness in drain (other receiver)',
      ],
      [
        s1(u.drainSeconds),
        `${n0(u.peakRequestsPerSecond)} (${u.steadyRequestsPerSecond.toFixed(1)})`,
        `${n0(u.peakSamplesPerSecond)} (${n0(u.steadySamplesPerSecond)})`,
        n0(u.retriesAfterReturn),
        n0(u.receiverErrors),
        n0(u.samplesLost),
        `${s1(u.worstStaleDuringDrainMs / 1000)} (${s1(u.otherReceiverWorstStaleMs / 1000)})`,
      ],
    ]);
    console.log('');
    table([
      [
        'backlog per box at the return: samples, queue on disk (largest)',
        'fresh again (probes ≤ 2 intervals + 5 s old)',
        'query in drain: median, slowest (answers)',
        'receiver CPU in drain (throttled)',
        'timeouts (retries − receiver errors)',
      ],
      [
        `${n0(u.backlog.samplesPerBox)}, ${mib(u.backlog.queueBytesPerBox)} (${mib(u.backlog.largestQueueBytes)})`,
        s1(u.freshAgainSeconds),
        `${msText(u.medianQueryMsDuringDrain)}, ${msText(u.worstQueryMsDuringDrain)} (${u.queriesDuringDrain})`,
        `${u.receiverCpuCores.toFixed(2)} cores${Number.isFinite(u.receiverThrottledShare) ? ` (${Math.round(u.receiverThrottledShare * 100)}% of periods)` : ''}`,
        n0(Math.max(0, u.retriesAfterReturn - u.receiverErrors)),
      ],
    ]);
  }
  if (r.gateway) {
    const g = r.gateway;
    console.log(`\n## Pushgateway outage and return (${g.gateway}, ${g.boxesOnIt} boxes, restarted empty)`);
    table([
      ['every group back (as Prometheus sees it)', 'stale or duplicate groups'],
      [s1(g.recoverySeconds), String(g.staleOrDuplicate)],
    ]);
  }
  if (r.rollout) {
    const c = r.rollout;
    console.log(`\n## configuration roll-out (remote_config interval ${o.remoteConfigIntervalSeconds}s)`);
    table([
      ['half applied', 'all applied', 'not applied', 'config server peak req/s'],
      [s1(c.halfSeconds), s1(c.convergedSeconds), String(c.notApplied), String(c.peakRequestsPerSecond)],
    ]);
  }
  if (r.decommission) {
    const d = r.decommission;
    console.log(`\n## decommission (${d.boxes} boxes)`);
    table([
      ['gone from gateways', 'gone from vm', 'gone from prom', 'failures'],
      [
        'gateways' in d.goneSeconds ? s1(d.goneSeconds['gateways']!) : 'no tier',
        s1(d.goneSeconds['vm']!),
        s1(d.goneSeconds['prom']!),
        String(d.failures.length),
      ],
    ]);
  }
  console.log(`\n## nothing lost`);
  const l = r.loss;
  table([
    ['samples collected (checked)', 'boxes short in vm', 'boxes short in prom', 'dropped by queues', 'groups misplaced or stale'],
    [
      n0(l.samplesExpected),
      String(l.mismatched['vm']!.length),
      String(l.mismatched['prom']!.length),
      n0(l.dropped),
      o.gateways ? String(r.groupProblems.length) : 'no tier',
    ],
  ]);
  for (const [receiver, list] of Object.entries(l.mismatched))
    if (list.length) console.log(`${receiver}: ${list.slice(0, 5).join('; ')}${list.length > 5 ? ' ...' : ''}`);
  if (r.groupProblems.length) console.log(`groups: ${r.groupProblems.slice(0, 5).join('; ')}`);
  if (r.notConverged.length) {
    console.log(`\n## NOT CONVERGED (${r.notConverged.length})`);
    for (const line of r.notConverged) console.log(`- ${line}`);
  }
  const p = r.perBoxPerDay;
  console.log(
    `\nper box and day: ${n0(p.samples)} samples per receiver; ${Object.entries(p.bytesBySink)
      .map(([sink, b]) => `${sink} ${mib(b)}`)
      .join(', ')} sent (compressed); state directory ${mib(p.stateBytes)} at the end`,
  );
}

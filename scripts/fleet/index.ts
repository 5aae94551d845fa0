/**
 * `npm run fleet -- --boxes N [--interval 15s] ...`: the fleet drill (see
 * README, "Running a fleet"). Prints one table per scenario, whatever
 * happened (each wait is bounded by --patience); exits 1 when the fleet lost
 * samples, left groups behind or did not converge.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { parseGoDuration } from '../../src/config/duration.ts';
import { runDrill, SCENARIOS, type ScenarioName } from './drill.ts';
import { printReport } from './report.ts';

const { values } = parseArgs({
  options: {
    boxes: { type: 'string', default: '50' },
    interval: { type: 'string', default: '15s' },
    workers: { type: 'string' },
    gateways: { type: 'string', default: '3' },
    steady: { type: 'string', default: '2m' },
    outage: { type: 'string', default: '10m' },
    'gateway-outage': { type: 'string', default: '' },
    'remote-config-interval': { type: 'string', default: '1m' },
    patience: { type: 'string', default: '' },
    'drain-start-rate': { type: 'string' },
    'vm-flags': { type: 'string', default: '' },
    'vm-cpu': { type: 'string' },
    scenarios: { type: 'string' },
    dir: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`usage: npm run fleet -- [--boxes 50] [--interval 15s] [--workers <cores>] [--gateways 3] [--steady 2m] [--outage 10m]
       [--gateway-outage <2 intervals>] [--remote-config-interval 1m] [--patience <max(2m, 8 intervals)>]
       [--drain-start-rate <samples/s; 0: no adaptive drain>] [--vm-flags='-maxConcurrentInserts=1 ...'] [--vm-cpu <cores>] [--scenarios ${SCENARIOS.join(',')}] [--dir DIR]`);
  process.exit(0);
}

const seconds = (v: string): number => parseGoDuration(v);
const boxes = Number(values.boxes);
const intervalSeconds = seconds(values.interval);
const gateways = Number(values.gateways);
// Without a tier (--gateways 0) the default leaves out the scenarios that need one; asking for them is refused.
const scenarios = new Set(
  (values.scenarios ?? SCENARIOS.filter((s) => gateways > 0 || s !== 'gateway').join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
for (const s of scenarios) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--scenarios: unknown scenario ${s} (${SCENARIOS.join(', ')})`);

const result = await runDrill({
  boxes,
  intervalSeconds,
  workers: Number(values.workers ?? Math.min(os.availableParallelism(), Math.ceil(boxes / 50))),
  gateways,
  steadySeconds: seconds(values.steady),
  outageSeconds: seconds(values.outage),
  gatewayOutageSeconds: values['gateway-outage'] ? seconds(values['gateway-outage']) : 2 * intervalSeconds,
  remoteConfigIntervalSeconds: seconds(values['remote-config-interval']),
  patienceSeconds: values.patience ? seconds(values.patience) : Math.max(120, 8 * intervalSeconds),
  vmFlags: values['vm-flags'].split(/\s+/).filter(Boolean),
  ...(values['vm-cpu'] !== undefined ? { vmCpuCores: Number(values['vm-cpu']) } : {}),
  ...(values['drain-start-rate'] !== undefined ? { drainStartRate: Number(values['drain-start-rate']) } : {}),
  scenarios: scenarios as Set<ScenarioName>,
  ...(values.dir ? { root: values.dir } : {}),
  log: (line) => console.error(`fleet: ${line}`),
});
printReport(result);
const failed =
  result.loss.dropped > 0 ||
  Object.values(result.loss.mismatched).some((m) => m.length > 0) ||
  result.groupProblems.length > 0 ||
  result.notConverged.length > 0 ||
  (result.rollout?.notApplied ?? 0) > 0 ||
  Object.values(result.decommission?.goneSeconds ?? {}).some((v) => !Number.isFinite(v));
process.exit(failed ? 1 : 0);

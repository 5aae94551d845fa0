/**
 * The agent's cycle against real peers on loopback, side by side with
 * today's shell loop (curl exporter | curl --data-binary @- gateway, for
 * each exporter, for each gateway, one after the other):
 * - time from cycle start to every gateway acknowledged, host metrics + 3
 *   local exporters (Debian's node_exporter) fanned out to 2 Pushgateways;
 * - agent CPU time per cycle and RSS over 100 cycles (this process is the agent),
 *   and the same for the packaged executable (dist/, `npm run build`) running
 *   `edgepush run` with a 1 s interval (the shortest allowed), when it has been built.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BAKED_NODE_FLAGS, binaryName, DIST_DIR } from '../lib/build.ts';
import { Agent } from '../../src/agent.ts';
import { configFromText } from '../../src/config/config.ts';
import { setLogLevel } from '../../src/log.ts';
import { startNodeExporter, startPushgateway } from '../../test/helpers/servers.ts';
import { procCpuSeconds, procStatusBytes } from './proc-usage.ts';
import { median, mib, percentile, ratio, table } from './stats.ts';

// Measure with the V8 flags the packaged executable runs with (heap and semi-space limits).
if (process.env['EDGEPUSH_BENCH_BAKED'] !== '1') {
  const r = spawnSync(process.execPath, [...BAKED_NODE_FLAGS, '--expose-gc', fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, EDGEPUSH_BENCH_BAKED: '1' } });
  process.exit(r.status ?? 1);
}

const CYCLES = Number(process.env['BENCH_AGENT_CYCLES'] ?? 100);
const CURL_ROUNDS = Number(process.env['BENCH_CURL_ROUNDS'] ?? 10);

const gateways = await Promise.all([startPushgateway(), startPushgateway()]);
const exporters = await Promise.all([startNodeExporter(), startNodeExporter(), startNodeExporter(), startNodeExporter()]);
const hostLike = exporters[3]!; // the curl loop scrapes a node_exporter for the host metrics
try {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-bench-'));
  const config = configFromText(`
[agent]
interval = 15s
state_dir = ${stateDir}
log_level = error
[identity]
instance = bench-box
${exporters
  .slice(0, 3)
  .map((e, i) => `[exporter.exp${i}]\nurl = ${e.url}/metrics\n`)
  .join('')}
${gateways.map((g, i) => `[pushgateway.gw${i}]\nurl = ${g.url}\n`).join('')}`);
  setLogLevel('error');
  const agent = new Agent({ config });

  // Warm-up: first connections, JIT, first host collection.
  for (let i = 0; i < 3; i++) await (await agent.runCycle()).pushed;

  const acked: number[] = [];
  const collected: number[] = [];
  const rss: Array<[number, number]> = [];
  const heap: number[] = [];
  const heapTotal: number[] = [];
  let bytes = 0;
  let failures = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 1; i <= CYCLES; i++) {
    const t0 = performance.now();
    const outcome = await agent.runCycle();
    const reports = await outcome.pushed;
    acked.push(performance.now() - t0);
    collected.push(outcome.collectMs);
    for (const r of reports.values()) {
      bytes += r.bytesSent;
      if (!r.ok) failures++;
    }
    if (i === 10 || i === 50 || i === CYCLES) {
      // A full GC first: steady RSS is what stays, not garbage V8 has not yet had a reason to collect.
      (globalThis as { gc?: () => void }).gc?.();
      rss.push([i, process.memoryUsage().rss]);
      heap.push(process.memoryUsage().heapUsed);
      heapTotal.push(process.memoryUsage().heapTotal);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  await agent.stop();

  // Today's loop, same peers, same machine: for each source, for each gateway, curl | curl.
  const sources = [hostLike, ...exporters.slice(0, 3)].map((e, i) => ({ url: `${e.url}/metrics`, job: i === 0 ? 'node' : `exp${i - 1}` }));
  const script = sources
    .flatMap((s) => gateways.map((g) => `curl -sf ${s.url} | curl -sf --data-binary @- ${g.url}/metrics/job/${s.job}-curl/instance/bench-curl-box >/dev/null || echo fail`))
    .join('\n');
  const curlTimes: number[] = [];
  let curlFailures = 0;
  for (let i = 0; i < CURL_ROUNDS + 1; i++) {
    const t0 = performance.now();
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    if (i > 0) curlTimes.push(performance.now() - t0); // the first round warms the gateways' groups
    if (r.stdout.includes('fail') || r.status !== 0) curlFailures++;
  }

  const f = (v: number): string => `${v.toFixed(1)} ms`;
  console.log(`cycle = host (default collectors, live /proc) + 3 node_exporters + self, pushed to 2 Pushgateways; ${CYCLES} cycles back to back`);
  table([
    ['', 'median', 'p90', 'vs curl loop (median)'],
    ['edgepush: cycle start -> all gateways acked', f(median(acked)), f(percentile(acked, 90)), ratio(median(acked), median(curlTimes))],
    ['edgepush: cycle start -> all sources collected', f(median(collected)), f(percentile(collected, 90)), ''],
    ['curl | curl loop (4 sources x 2 gateways, sequential)', f(median(curlTimes)), f(percentile(curlTimes, 90)), '1.00x'],
  ]);
  console.log(`edgepush CPU per cycle: ${((cpu.user + cpu.system) / 1000 / CYCLES).toFixed(1)} ms (user ${(cpu.user / 1000 / CYCLES).toFixed(1)}, system ${(cpu.system / 1000 / CYCLES).toFixed(1)}), ${((100 * (cpu.user + cpu.system)) / 1000 / wall).toFixed(0)}% of one core while cycling back to back`);
  console.log(`edgepush RSS: ${rss.map(([i, b]) => `after ${i} cycles ${mib(b)}`).join(', ')} (after a full GC; from source under node with the executable's V8 flags ${BAKED_NODE_FLAGS.join(' ')}); V8 heap used ${heap.map(mib).join(' -> ')}, committed ${heapTotal.map(mib).join(' -> ')}`);
  console.log(`bytes pushed per cycle (gzip, both gateways): ${(bytes / CYCLES / 1024).toFixed(1)} KiB; failed pushes: ${failures}; curl loop rounds with a failure: ${curlFailures}`);
  await packagedExecutable(stateDir);
} finally {
  await Promise.all([...gateways, ...exporters].map((s) => s.stop()));
}

function procStat(pid: number): { cpuSeconds: number; rss: number; anon: number } {
  return { cpuSeconds: procCpuSeconds(pid), rss: procStatusBytes(pid, 'VmRSS'), anon: procStatusBytes(pid, 'RssAnon') };
}

/** The real product: the SEA executable, its own V8 flags, its own process, 100 cycles. */
async function packagedExecutable(stateDir: string): Promise<void> {
  const binary = path.join(DIST_DIR, binaryName('x64'));
  if (process.arch !== 'x64' || !existsSync(binary)) {
    console.log(`packaged executable: skipped (${binary} not built; run npm run build)`);
    return;
  }
  const file = path.join(stateDir, 'bench.ini');
  writeFileSync(
    file,
    `[agent]\ninterval = 1s\ntimeout = 400ms\nsplay = false\nstate_dir = ${stateDir}\nlog_level = debug\n[identity]\ninstance = bench-binary\n` +
      exporters.slice(0, 3).map((e, i) => `[exporter.exp${i}]\nurl = ${e.url}/metrics\n`).join('') +
      gateways.map((g, i) => `[pushgateway.gw${i}]\nurl = ${g.url}\n`).join(''),
  );
  const child = spawn(binary, ['run', `--config.file=${file}`, '--config.defaults=/nonexistent'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let cycles = 0;
  const marks = new Map<number, ReturnType<typeof procStat>>();
  const done = new Promise<void>((resolve) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      for (const _ of d.matchAll(/msg="cycle collected"/g)) {
        cycles++;
        if ([10, 50, 100].includes(cycles)) marks.set(cycles, procStat(child.pid!));
        if (cycles === 100) resolve();
      }
    });
    child.on('exit', () => resolve());
  });
  await done;
  child.kill('SIGTERM');
  const a = marks.get(10);
  const b = marks.get(100);
  if (!a || !b) {
    console.log(`packaged executable: exited after ${cycles} cycles`);
    return;
  }
  console.log(
    `packaged executable (${path.relative(process.cwd(), binary)}), same cycle every second: CPU ${(((b.cpuSeconds - a.cpuSeconds) / 90) * 1000).toFixed(1)} ms per cycle; ` +
      `RSS ${[...marks].map(([i, m]) => `after ${i} cycles ${mib(m.rss)} (anonymous ${mib(m.anon)})`).join(', ')}; the rest is the executable's own file pages`,
  );
}

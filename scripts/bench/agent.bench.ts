/**
 * The agent's cycle against real peers on loopback, side by side with the
 * shell loop it replaces, run as that loop really runs: every
 * `curl exporter | curl --data-binary @- gateway` pair in the background at
 * once (`sh -c "..." &` per source and gateway), then `wait`:
 * - time from cycle start to every gateway acknowledged, host metrics + 3
 *   local exporters (Debian's node_exporter) fanned out to 2 Pushgateways,
 *   against the loop's round: from source back to back, and the packaged
 *   executable's own (its debug log) every second and every 15 s; beside it
 *   the loop's round forwarded in-process by a client that costs nothing
 *   (what the exporters and gateways alone take: a bound for any client);
 *   the gateways hold the same groups throughout (a push costs more the more
 *   a Pushgateway holds), and can be given CPUs of their own (see SPLIT);
 * - CPU per cycle: the agent's (this process, from source), the packaged
 *   executable's (dist/, `npm run build`, `edgepush run` every second) and
 *   the loop's (every sh and curl it starts, summed from their rusage: the
 *   loop runs under one shell that waits for them, so they land in this
 *   process's cutime/cstime), back to back and, at 15 s, a round every 15 s
 *   between the executable's cycles (with a forwarded round: see
 *   packagedExecutable), so that all pay for the idle time before them; the
 *   executable's CPU per cycle at the default
 *   15 s interval too, over real 15-s cycles (what it costs between cycles,
 *   timers and GC, included as it happens), both right after a start and at
 *   steady state (the 1-s run switched to 15 s by SIGHUP after its 100
 *   cycles: the first minutes still compile functions as they get hot);
 * - what the box spends a cycle, the exporters' CPU included (summed from
 *   their /proc times over the same cycles): the loop scrapes every exporter
 *   once per gateway and needs a node_exporter for the host metrics, the
 *   agent scrapes each exporter once and collects the host itself;
 * - RSS over 100 cycles, and the arm64 executable's CPU per cycle under
 *   qemu-user as a ratio to the x64 one (emulation cost included: a ratio,
 *   not an ARM board's figure).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BAKED_NODE_FLAGS, binaryName, DIST_DIR, type Arch } from '../lib/build.ts';
import { Agent } from '../../src/agent.ts';
import { configFromText } from '../../src/config/config.ts';
import { parseText } from '../../src/model/text-parser.ts';
import { setLogLevel } from '../../src/log.ts';
import { startNodeExporter, startPushgateway } from '../../test/helpers/servers.ts';
import { childrenCpuSeconds, procCpuSeconds, procStatusBytes } from './proc-usage.ts';
import { mean, median, mib, percentile, ratio, table } from './stats.ts';

/**
 * The gateways are remote in production: they do not take the box's CPU.
 * BENCH_AGENT_SPLIT=1 (two CPUs or more) gives the box (this process, the
 * exporters, the loop, the executables) CPU 0 and the gateways the others.
 * Not the default: with two CPUs, a gateway on one CPU becomes the cycle's
 * bottleneck (every push is checked against all it holds, one at a time), so
 * latency then measures the gateways more than the clients.
 */
// Counted before the bench pins itself to CPU 0 (the pinned run is told by its parent).
const CPUS = Number(process.env['EDGEPUSH_BENCH_CPUS'] ?? os.availableParallelism());
const SPLIT = process.env['BENCH_AGENT_SPLIT'] === '1' && CPUS >= 2 && existsSync('/usr/bin/taskset');

// Measure with the V8 flags the packaged executable runs with (heap and semi-space limits).
if (process.env['EDGEPUSH_BENCH_BAKED'] !== '1') {
  const command = [process.execPath, ...BAKED_NODE_FLAGS, '--expose-gc', fileURLToPath(import.meta.url)];
  const r = SPLIT
    ? spawnSync('/usr/bin/taskset', ['-c', '0', ...command], {
        stdio: 'inherit',
        env: { ...process.env, EDGEPUSH_BENCH_BAKED: '1', EDGEPUSH_BENCH_CPUS: String(CPUS) },
      })
    : spawnSync(command[0]!, command.slice(1), { stdio: 'inherit', env: { ...process.env, EDGEPUSH_BENCH_BAKED: '1' } });
  process.exit(r.status ?? 1);
}

const CYCLES = Number(process.env['BENCH_AGENT_CYCLES'] ?? 100);
// CPU of the loop's processes is counted in 10 ms clock ticks: enough rounds to average that out.
const CURL_ROUNDS = Number(process.env['BENCH_CURL_ROUNDS'] ?? 20);
const QEMU_CYCLES = Number(process.env['BENCH_AGENT_QEMU_CYCLES'] ?? 30);
// Cycles measured at the default 15 s interval (each takes its 15 s: 8 cycles is 2 minutes and a half with the warm-up).
const CYCLES_AT_15S = Number(process.env['BENCH_AGENT_15S_CYCLES'] ?? 8);
const QEMU = '/usr/bin/qemu-aarch64-static';
/** Debian's libc6/libstdc++6/libgcc-s1-arm64-cross packages install the arm64 runtime here. */
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';

const gateways = await Promise.all([startPushgateway(), startPushgateway()]);
if (SPLIT)
  for (const g of gateways) {
    const r = spawnSync('/usr/bin/taskset', ['-a', '-p', '-c', `1-${CPUS - 1}`, String(g.process.pid)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`taskset on the gateway ${g.url}: ${r.stderr}`);
  }
console.log(
  SPLIT
    ? `the box (this process, the exporters, the loop, the executables) on CPU 0; the gateways, remote in production, on CPU${CPUS > 2 ? 's' : ''} 1${CPUS > 2 ? `-${CPUS - 1}` : ''}`
    : `every process on every CPU (${CPUS}): the gateways share the box's CPU${process.env['BENCH_AGENT_SPLIT'] === '1' ? ' (BENCH_AGENT_SPLIT=1 needs 2 CPUs and taskset)' : ''}`,
);
const exporters = await Promise.all([startNodeExporter(), startNodeExporter(), startNodeExporter(), startNodeExporter()]);
const hostLike = exporters[3]!; // the curl loop scrapes a node_exporter for the host metrics
/** The sections of every run of the agent (from source and the executables): the same exporters and gateways. */
const agentTargets = (): string =>
  exporters
    .slice(0, 3)
    .map((e, i) => `[exporter.exp${i}]\nurl = ${e.url}/metrics\n`)
    .join('') + gateways.map((g, i) => `[pushgateway.gw${i}]\nurl = ${g.url}\n`).join('');
/** CPU seconds spent so far by the exporters the agent scrapes (the loop also scrapes hostLike). */
const agentExportersCpu = (): number => exporters.slice(0, 3).reduce((sum, e) => sum + procCpuSeconds(e.process.pid!), 0);
const allExportersCpu = (): number => agentExportersCpu() + procCpuSeconds(hostLike.process.pid!);
try {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-bench-'));
  const configText = (extra = ''): string => `
[agent]
interval = 15s
state_dir = ${stateDir}
log_level = error
[identity]
instance = bench-box
${extra}
${agentTargets()}`;
  setLogLevel('error');
  const agent = new Agent({ config: configFromText(configText()) });

  // A Pushgateway checks every push against all the groups it holds, so a push costs more the more it holds:
  // the loop's groups go on the gateways first, and every run of the agent below pushes the same groups
  // (one instance), so the agent and the loop are measured against the same gateway contents throughout.
  await loopRound();
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
  const exportersCpu0 = agentExportersCpu();
  const gatewayPuts0 = await gatewayPuts();
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
  const agentExportersCpuMs = ((agentExportersCpu() - exportersCpu0) * 1000) / CYCLES;
  const agentPuts = putsSince(gatewayPuts0, await gatewayPuts());
  const wall = performance.now() - wall0;
  await agent.stop();

  // The same cycle without the agent's own group: the loop's groups only (4 a gateway), like for like. Each
  // push costs a gateway a check against all it holds, so the self group costs about what an exporter's does.
  const withoutSelf = new Agent({ config: configFromText(configText('[self]\nenabled = false')) });
  const ackedWithoutSelf: number[] = [];
  for (let i = -3; i < Math.max(20, CYCLES / 2); i++) {
    const t0 = performance.now();
    await (await withoutSelf.runCycle()).pushed;
    if (i >= 0) ackedWithoutSelf.push(performance.now() - t0);
  }
  await withoutSelf.stop();

  // The loop it replaces, same peers, same machine: every source x gateway pair at once.
  const loopPuts0 = await gatewayPuts();
  const loopRounds: LoopRound[] = [];
  // The first round is a warm-up (the shell's and curl's pages, the exporters' first answers).
  for (let i = 0; i < CURL_ROUNDS + 1; i++) {
    const round = await loopRound();
    if (i > 0) loopRounds.push(round);
  }
  const curlFailures = loopRounds.filter((r) => r.failed).length;
  const loopPuts = putsSince(loopPuts0, await gatewayPuts());
  // The loop's round done by a client that costs nothing itself: what the exporters and gateways alone take.
  const forwardTimes: number[] = [];
  for (let i = 0; i < CURL_ROUNDS + 1; i++) {
    const round = await timedForwardRound();
    if (i > 0) forwardTimes.push(round.ms);
  }
  const curlTimes = loopRounds.map((r) => r.ms);
  const curlCpuMs = mean(loopRounds.map((r) => r.cpuMs));
  const loopExportersCpuMs = mean(loopRounds.map((r) => r.allExportersCpuMs));
  const agentCpuMs = (cpu.user + cpu.system) / 1000 / CYCLES;

  const f = (v: number): string => `${v.toFixed(1)} ms`;
  console.log(
    `cycle = host (default collectors, live /proc) + 3 node_exporters + self, pushed to 2 Pushgateways; ${CYCLES} cycles back to back; loop: ${CURL_ROUNDS} rounds`,
  );
  table([
    ['', 'median', 'p90', 'vs loop (median)'],
    ['edgepush: cycle start -> all gateways acked', f(median(acked)), f(percentile(acked, 90)), ratio(median(acked), median(curlTimes))],
    ['edgepush: cycle start -> all sources collected', f(median(collected)), f(percentile(collected, 90)), ''],
    [
      `edgepush without its own group ([self] off: the loop's 4 groups a gateway), ${ackedWithoutSelf.length} cycles`,
      f(median(ackedWithoutSelf)),
      f(percentile(ackedWithoutSelf, 90)),
      ratio(median(ackedWithoutSelf), median(curlTimes)),
    ],
    ['curl | curl loop (4 sources x 2 gateways, all pairs in parallel)', f(median(curlTimes)), f(percentile(curlTimes, 90)), '1.00x'],
    [
      "the loop's round forwarded in-process: each answer's bytes PUT as they are in, nothing parsed (the exporters' and gateways' share)",
      f(median(forwardTimes)),
      f(percentile(forwardTimes, 90)),
      ratio(median(forwardTimes), median(curlTimes)),
    ],
  ]);
  // A Pushgateway applies pushes one at a time (one write queue), each checked against every group it holds:
  // the part of the latency that is the gateways' own, the same for any client.
  console.log(
    `inside the gateways (their pushgateway_http_push_duration_seconds): a push of the agent's took ${f(agentPuts.meanMs)} on average, ${(agentPuts.count / CYCLES / gateways.length).toFixed(1)} per gateway a cycle; a push of the loop's ${f(loopPuts.meanMs)}, ${(loopPuts.count / (CURL_ROUNDS + 1) / gateways.length).toFixed(1)} per gateway a round`,
  );
  const cpuRows: string[][] = [
    ['CPU per cycle', 'ms', 'vs loop'],
    ['curl | curl loop (every sh and curl, from their rusage)', f(curlCpuMs), '1.00x'],
    [
      `edgepush from source (node, baked flags; user ${f(cpu.user / 1000 / CYCLES)}, system ${f(cpu.system / 1000 / CYCLES)})`,
      f(agentCpuMs),
      ratio(agentCpuMs, curlCpuMs),
    ],
  ];
  // The 1-s run goes on at 15 s (SIGHUP with the new interval) for the steady state at the default interval.
  const x64 = await packagedExecutable('x64', stateDir, { interval: 1, cycles: 100, thenAt15: CYCLES_AT_15S });
  if (x64) cpuRows.push([`edgepush x64 executable, cycle every ${x64.interval} s`, f(x64.cpuMs), ratio(x64.cpuMs, curlCpuMs)]);
  const at15 = x64 && CYCLES_AT_15S > 0 ? await packagedExecutable('x64', stateDir, { interval: 15, cycles: CYCLES_AT_15S }) : undefined;
  const steady = x64?.steadyAt15;
  // At 15 s the loop is measured as it runs on a box, a round every 15 s (between the executable's cycles),
  // beside its rounds back to back above: both then pay for the idle time before them (cold caches, an idle vCPU).
  const at15Rows = (phase: ExecutablePhase, name: string): string[][] => {
    const loopCpuMs = mean(phase.loopBetween.map((r) => r.cpuMs));
    return [
      [`curl | curl loop, a round every 15 s between the executable's cycles ${name} (${phase.loopBetween.length} rounds)`, f(loopCpuMs), ''],
      [
        `edgepush x64 executable, cycle every 15 s (the default), cycles ${name}`,
        f(phase.cpuMs),
        `${ratio(phase.cpuMs, curlCpuMs)}; ${ratio(phase.cpuMs, loopCpuMs)} of the loop every 15 s`,
      ],
    ];
  };
  if (at15) cpuRows.push(...at15Rows(at15, `2-${2 + CYCLES_AT_15S} after its start`));
  if (steady) cpuRows.push(...at15Rows(steady, `after 100 cycles at 1 s (steady state, ${CYCLES_AT_15S} cycles)`));
  const arm64 = x64 ? await packagedExecutable('arm64', stateDir, { interval: 3, cycles: QEMU_CYCLES }) : undefined;
  if (x64 && arm64)
    cpuRows.push([
      `edgepush arm64 executable under qemu-user, cycle every ${arm64.interval} s`,
      f(arm64.cpuMs),
      `${ratio(arm64.cpuMs, x64.cpuMs)} the x64 executable`,
    ]);
  table(cpuRows);
  const latencyRows: string[][] = [['The x64 executable: cycle start -> all gateways acked (its debug log)', 'median', 'p90', 'vs loop (median)']];
  if (x64)
    latencyRows.push([
      `a cycle every ${x64.interval} s, against the loop's rounds back to back`,
      f(median(x64.latencyMs)),
      f(percentile(x64.latencyMs, 90)),
      ratio(median(x64.latencyMs), median(curlTimes)),
    ]);
  for (const [phase, name] of [
    [at15, `cycles 2-${2 + CYCLES_AT_15S} after its start`],
    [steady, 'steady state'],
  ] as const) {
    if (!phase || phase.loopBetween.length === 0) continue;
    const loopMs = phase.loopBetween.map((r) => r.ms);
    latencyRows.push(
      [`the loop, a round every 15 s between the executable's cycles (${name})`, f(median(loopMs)), f(percentile(loopMs, 90)), '1.00x'],
      [
        `the loop's round forwarded in-process, every 15 s between the same cycles (${name})`,
        f(median(phase.forwardBetween)),
        f(percentile(phase.forwardBetween, 90)),
        ratio(median(phase.forwardBetween), median(loopMs)),
      ],
      [`a cycle every 15 s, ${name}`, f(median(phase.latencyMs)), f(percentile(phase.latencyMs, 90)), ratio(median(phase.latencyMs), median(loopMs))],
    );
  }
  if (latencyRows.length > 1) table(latencyRows);
  const loopBoxMs = curlCpuMs + loopExportersCpuMs;
  const boxRows: string[][] = [
    ["What the box spends a cycle, the exporters' CPU included", 'ms', 'vs loop'],
    [`curl | curl loop + the node_exporters it scrapes (4, each once per gateway: ${f(loopExportersCpuMs)})`, f(loopBoxMs), '1.00x'],
    [
      `edgepush from source + the 3 exporters it scrapes once (${f(agentExportersCpuMs)})`,
      f(agentCpuMs + agentExportersCpuMs),
      ratio(agentCpuMs + agentExportersCpuMs, loopBoxMs),
    ],
  ];
  for (const run of [x64, at15])
    if (run)
      boxRows.push([
        `edgepush x64 executable every ${run.interval} s + the 3 exporters (${f(run.exportersCpuMs)})`,
        f(run.cpuMs + run.exportersCpuMs),
        ratio(run.cpuMs + run.exportersCpuMs, loopBoxMs),
      ]);
  table(boxRows);
  console.log(`edgepush from source: ${((100 * (cpu.user + cpu.system)) / 1000 / wall).toFixed(0)}% of one core while cycling back to back`);
  console.log(
    `edgepush RSS: ${rss.map(([i, b]) => `after ${i} cycles ${mib(b)}`).join(', ')} (after a full GC; from source under node with the executable's V8 flags ${BAKED_NODE_FLAGS.join(' ')}); V8 heap used ${heap.map(mib).join(' -> ')}, committed ${heapTotal.map(mib).join(' -> ')}`,
  );
  for (const run of [x64, at15, arm64]) if (run) console.log(run.summary);
  if (steady) console.log(steady.summary);
  console.log(
    `bytes pushed per cycle (gzip, both gateways): ${(bytes / CYCLES / 1024).toFixed(1)} KiB; failed pushes: ${failures}; loop rounds with a failure: ${curlFailures}`,
  );
} finally {
  await Promise.all([...gateways, ...exporters].map((s) => s.stop()));
}

/** What the loop scrapes: a node_exporter for the host metrics and the 3 exporters. */
function loopSources(): Array<{ url: string; job: string }> {
  return [hostLike, ...exporters.slice(0, 3)].map((e, i) => ({ url: `${e.url}/metrics`, job: i === 0 ? 'node' : `exp${i - 1}` }));
}

/** One round of the loop edgepush replaces: every source x gateway pair at once, then wait. */
function loopScript(): string {
  return (
    loopSources()
      .flatMap((s) =>
        gateways.map(
          (g) => `sh -c "curl -sf ${s.url} | curl -sf --data-binary @- ${g.url}/metrics/job/${s.job}-curl/instance/bench-curl-box >/dev/null || echo fail" &`,
        ),
      )
      .join('\n') + '\nwait\n'
  );
}

/**
 * The loop's round without the loop's own cost: every source fetched at once
 * and its body PUT unchanged to every gateway as soon as it is in, into the
 * loop's own groups (so the gateways' contents stay the same). A lower bound
 * for any client of these exporters and gateways.
 */
async function timedForwardRound(): Promise<{ ms: number; exportersCpuMs: number }> {
  const t0 = performance.now();
  const exportersBefore = agentExportersCpu();
  await Promise.all(
    loopSources().map(async (s) => {
      const body = Buffer.from(await (await fetch(s.url)).arrayBuffer());
      await Promise.all(
        gateways.map(async (g) => {
          const res = await fetch(`${g.url}/metrics/job/${s.job}-curl/instance/bench-curl-box`, { method: 'PUT', body });
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`forwarding ${s.job} to ${g.url}: HTTP ${res.status}`);
        }),
      );
    }),
  );
  return { ms: performance.now() - t0, exportersCpuMs: (agentExportersCpu() - exportersBefore) * 1000 };
}

interface LoopRound {
  ms: number;
  cpuMs: number;
  /** What the round cost the 3 exporters the agent scrapes too. */
  exportersCpuMs: number;
  /** What it cost every exporter it scrapes (those 3 and the host's stand-in). */
  allExportersCpuMs: number;
  failed: boolean;
}

/**
 * One loop round, asynchronously (between the executable's cycles its log
 * keeps being read): its wall time, and the CPU of its sh and curl processes
 * from this process's cutime/cstime (nothing else of ours exits meanwhile).
 */
function loopRound(): Promise<LoopRound> {
  return new Promise((resolve) => {
    const cpuBefore = childrenCpuSeconds();
    const exportersBefore = agentExportersCpu();
    const allExportersBefore = allExportersCpu();
    const t0 = performance.now();
    let out = '';
    const sh = spawn('sh', ['-c', loopScript()], { stdio: ['ignore', 'pipe', 'ignore'] });
    sh.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    sh.on('close', (code) =>
      resolve({
        ms: performance.now() - t0,
        cpuMs: (childrenCpuSeconds() - cpuBefore) * 1000,
        exportersCpuMs: (agentExportersCpu() - exportersBefore) * 1000,
        allExportersCpuMs: (allExportersCpu() - allExportersBefore) * 1000,
        failed: code !== 0 || out.includes('fail'),
      }),
    );
  });
}

/** Every gateway's push handling so far (PUT and POST), from its own summary, summed. */
async function gatewayPuts(): Promise<{ seconds: number; count: number }> {
  let seconds = 0;
  let count = 0;
  for (const g of gateways) {
    const families = parseText(await (await fetch(`${g.url}/metrics`)).text());
    // PUT for the agent, POST for curl --data-binary: both replace the group's metrics of the same name.
    const pushes = families.find((f) => f.name === 'pushgateway_http_push_duration_seconds')?.samples ?? [];
    for (const sample of pushes) {
      if (sample.labels['method'] !== 'put' && sample.labels['method'] !== 'post') continue;
      if (sample.name.endsWith('_sum')) seconds += sample.value;
      else if (sample.name.endsWith('_count')) count += sample.value;
    }
  }
  return { seconds, count };
}

function putsSince(
  before: { seconds: number; count: number },
  after: { seconds: number; count: number },
): { meanMs: number; count: number; perGateway: number } {
  const count = after.count - before.count;
  return { meanMs: count > 0 ? ((after.seconds - before.seconds) * 1000) / count : NaN, count, perGateway: count / CYCLES / gateways.length };
}

function procStat(pid: number): { cpuSeconds: number; exportersCpuSeconds: number; rss: number; anon: number } {
  return {
    cpuSeconds: procCpuSeconds(pid),
    exportersCpuSeconds: agentExportersCpu(),
    rss: procStatusBytes(pid, 'VmRSS'),
    anon: procStatusBytes(pid, 'RssAnon'),
  };
}

/**
 * The real product: the SEA executable, its own V8 flags, its own process,
 * `cycles` cycles `interval` seconds apart (x64 natively; arm64 under
 * qemu-user where both are installed, fewer and slower cycles since emulation
 * costs several times the CPU). CPU per cycle from /proc between two cycles'
 * starts, so whatever runs between cycles (timers, GC) is counted as it
 * happens; the first cycles (connections, JIT) are left out. Undefined when it
 * cannot run.
 */
async function packagedExecutable(
  arch: Arch,
  stateDir: string,
  run: { interval: number; cycles: number; thenAt15?: number },
): Promise<ExecutableRun | undefined> {
  const binary = path.join(DIST_DIR, binaryName(arch));
  const emulated = arch !== process.arch;
  const skip = (why: string): undefined => void console.log(`packaged ${arch} executable: skipped (${why})`);
  if (!existsSync(binary)) return skip(`${path.relative(process.cwd(), binary)} not built; run npm run build`);
  if (emulated && (arch !== 'arm64' || !existsSync(QEMU) || !existsSync(path.join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1')))) {
    return skip(`needs ${QEMU} and the arm64 runtime in ${ARM64_SYSROOT}`);
  }
  const { interval } = run;
  // At 1 s, cycles 10 to the last; at longer intervals, where each cycle costs its interval of wall time, 2 cycles of warm-up.
  const first = interval === 1 ? 10 : 2;
  const last = interval === 1 ? run.cycles : first + run.cycles;
  const child = startExecutable(arch, binary, interval, stateDir);
  // Then, when asked: two cycles at 15 s to settle into the new cadence, `thenAt15` measured.
  const steadyFirst = last + 2;
  const steadyLast = run.thenAt15 ? steadyFirst + run.thenAt15 : last;
  const ranges = [
    { from: first, to: last, interval },
    { from: steadyFirst, to: steadyLast, interval: 15 },
  ];
  // Between measured 15-s cycles, a loop round a third of the way to the next cycle and a forwarded round two
  // thirds: each of the three runs 5 s after the one before, so all pay for the same idle time.
  const withLoop = (cycle: number): boolean => !emulated && ranges.some((r) => r.interval >= 15 && cycle >= r.from && cycle < r.to);
  const latencies = ranges.map((): number[] => []);
  const loopRounds = ranges.map((): Array<Promise<LoopRound>> => []);
  const forwardRounds = ranges.map((): Array<Promise<{ ms: number; exportersCpuMs: number }>> => []);
  let seen = 0;
  const marks = new Map<number, ReturnType<typeof procStat>>();
  let pending = '';
  const done = new Promise<void>((resolve) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      const lines = (pending + d).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const pushed = /msg="cycle pushed" cycle=(\d+) pushed_ms=(\d+)/.exec(line);
        if (pushed) {
          const cycle = Number(pushed[1]);
          ranges.forEach((r, i) => cycle >= r.from && cycle < r.to && latencies[i]!.push(Number(pushed[2])));
        }
        if (!line.includes('msg="cycle collected"')) continue;
        seen++;
        if ([first, Math.floor((first + last) / 2), last, steadyFirst, steadyLast].includes(seen)) marks.set(seen, procStat(child.pid!));
        if (withLoop(seen)) {
          const i = ranges.findIndex((r) => seen >= r.from && seen < r.to);
          const third = (1000 * ranges[i]!.interval) / 3;
          loopRounds[i]!.push(new Promise((r) => setTimeout(() => r(loopRound()), third)));
          forwardRounds[i]!.push(new Promise((r) => setTimeout(() => r(timedForwardRound()), 2 * third)));
        }
        if (seen === last && steadyLast > last) {
          writeConfig(arch, 15, stateDir);
          child.kill('SIGHUP');
        }
        if (seen === steadyLast) resolve();
      }
    });
    child.on('exit', () => resolve());
  });
  await done;
  child.kill('SIGTERM');
  const loops = await Promise.all(loopRounds.map((rounds) => Promise.all(rounds)));
  const forwards = await Promise.all(forwardRounds.map((rounds) => Promise.all(rounds)));
  const a = marks.get(first);
  const b = marks.get(last);
  if (!a || !b) return skip(`exited after ${seen} cycles`);
  const cpuMs = ((b.cpuSeconds - a.cpuSeconds) / (last - first)) * 1000;
  // The loop's and forwarded rounds between the cycles scrape the same exporters: their share is not the agent's.
  const loopScrapesMs = [...loops[0]!, ...forwards[0]!].reduce((sum, r) => sum + r.exportersCpuMs, 0);
  const exportersCpuMs = ((b.exportersCpuSeconds - a.exportersCpuSeconds) * 1000 - loopScrapesMs) / (last - first);
  const memory = emulated
    ? "RSS is qemu's, not comparable"
    : `RSS ${[...marks].map(([i, m]) => `after ${i} cycles ${mib(m.rss)} (anonymous ${mib(m.anon)})`).join(', ')}; the rest is the executable's own file pages`;
  const s0 = marks.get(steadyFirst);
  const s1 = marks.get(steadyLast);
  const steadyCpuMs = s0 && s1 && steadyLast > last ? ((s1.cpuSeconds - s0.cpuSeconds) / (steadyLast - steadyFirst)) * 1000 : undefined;
  return {
    cpuMs,
    exportersCpuMs,
    interval,
    latencyMs: latencies[0]!,
    loopBetween: loops[0]!,
    forwardBetween: forwards[0]!.map((r) => r.ms),
    ...(steadyCpuMs === undefined
      ? {}
      : {
          steadyAt15: {
            cpuMs: steadyCpuMs,
            latencyMs: latencies[1]!,
            loopBetween: loops[1]!,
            forwardBetween: forwards[1]!.map((r) => r.ms),
            summary: `packaged ${arch} executable, switched to a cycle every 15 s after ${last} cycles at ${interval} s, cycles ${steadyFirst}-${steadyLast}: CPU ${steadyCpuMs.toFixed(1)} ms per cycle; anonymous ${mib(s1!.anon)} at the end`,
          },
        }),
    summary: `packaged ${arch} executable (${path.relative(process.cwd(), binary)}${emulated ? ' under qemu-user' : ''}), a cycle every ${interval} s, cycles ${first}-${last}: CPU ${cpuMs.toFixed(1)} ms per cycle; ${memory}`,
  };
}

interface ExecutableRun extends ExecutablePhase {
  exportersCpuMs: number;
  interval: number;
  summary: string;
  steadyAt15?: ExecutablePhase & { summary: string };
}

interface ExecutablePhase {
  cpuMs: number;
  /** Cycle start to every gateway's answer, from the executable's debug log ("cycle pushed"). */
  latencyMs: number[];
  /** Loop rounds run a third of the way between the phase's cycles (15-s phases of the x64 executable only). */
  loopBetween: LoopRound[];
  /** The loop's round forwarded by a zero-cost client between the same cycles (its wall time, ms). */
  forwardBetween: number[];
}

/** The executable running `edgepush run` against this run's exporters and gateways, logging each cycle. */
function startExecutable(arch: Arch, binary: string, intervalSeconds: number, stateDir: string): ChildProcess {
  const file = writeConfig(arch, intervalSeconds, stateDir, intervalSeconds);
  const args = ['run', `--config.file=${file}`, '--config.defaults=/nonexistent'];
  return arch === process.arch
    ? spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(QEMU, ['-L', ARM64_SYSROOT, binary, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * The configuration of the run started with a cycle every `startedAt`
 * seconds, for a cycle every `intervalSeconds` (written again with another
 * interval before a SIGHUP).
 */
function writeConfig(arch: Arch, intervalSeconds: number, stateDir: string, startedAt = 1): string {
  const file = path.join(stateDir, `bench-${arch}-${startedAt}.ini`);
  writeFileSync(
    file,
    // The timeout and state dir of the run as it started: a reload that changes only the interval keeps every source and sink.
    `[agent]\ninterval = ${intervalSeconds}s\ntimeout = ${Math.min(startedAt * 1000 - 600, 10_000)}ms\nsplay = false\nstate_dir = ${path.join(stateDir, `${arch}-${startedAt}`)}\nlog_level = debug\n[identity]\ninstance = bench-box\n` +
      agentTargets(),
  );
  return file;
}

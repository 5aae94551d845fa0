/**
 * The product's size and memory: the executables, the four packages (with
 * the product's compression), and the steady resident set of the x64
 * executable running `edgepush run` as the service does, pushing host and self
 * metrics to a real Pushgateway every 15 s (targets: .deb <= 32 MB, RSS <= 50 MB).
 * In the same run and at the same moments: node_exporter 1.5.0 scraped at the
 * same interval (the peer), and an idle Node.js of the executable's version
 * with its baked flags (the floor any Node.js executable starts from).
 *   BENCH_RSS_CYCLES=8 (cycles of 15 s to watch), BENCH_RSS_INTERVAL=15s
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARCHES, BAKED_NODE_FLAGS, DIST_DIR, binaryName, build, upToDate } from '../lib/build.ts';
import { PACKAGING_DIR, buildPackages } from '../lib/package.ts';
import { startNodeExporter, startPushgateway } from '../../test/helpers/servers.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { procStatusBytes } from './proc-usage.ts';
import { mib, ratio, table } from './stats.ts';

const CYCLES = Number(process.env['BENCH_RSS_CYCLES'] ?? 8);
const INTERVAL = process.env['BENCH_RSS_INTERVAL'] ?? '15s';
const DEB_TARGET = 32e6;
const RSS_TARGET = 50e6;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

if (!upToDate()) await build({ log: () => {} });
const work = mkdtempSync(path.join(os.tmpdir(), 'edgepush-bench-pkg-'));
try {
  const binaries = ARCHES.map((arch) => {
    const file = path.join(DIST_DIR, binaryName(arch));
    return [binaryName(arch), readFileSync(file).length] as const;
  });
  const t0 = performance.now();
  const packages = buildPackages({ arches: ARCHES, outDir: path.join(work, 'pkgs'), log: () => {} });
  const packSeconds = (performance.now() - t0) / 1000;
  table([
    ['file', 'size', 'target'],
    ...binaries.map(([name, bytes]) => [name, mb(bytes), '']),
    ...packages.map((p) => [path.basename(p.path), mb(p.bytes), p.format === 'deb' ? `<= ${mb(DEB_TARGET)} ${p.bytes <= DEB_TARGET ? 'ok' : 'MISSED'}` : '']),
  ]);
  console.log(`(packages built with xz -9 in ${packSeconds.toFixed(0)} s; executables stripped Node ${process.version} + the bundle, no source maps)`);

  const gateway = await startPushgateway();
  const nodeExporter = await startNodeExporter();
  // The runtime floor: the same Node.js, the same flags, nothing to do.
  const idleNode = spawn(process.execPath, [...BAKED_NODE_FLAGS, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const state = path.join(work, 'state');
    const config = path.join(work, 'edgepush.ini');
    writeFileSync(
      config,
      `[agent]\ninterval = ${INTERVAL}\nstate_dir = ${state}\nlog_level = warn\n[identity]\ninstance = bench-rss\n[host]\ncollector.textfile.directory = ${work}\n[pushgateway.bench]\nurl = ${gateway.url}\n`,
    );
    const agent = spawn(
      path.join(DIST_DIR, binaryName('x64')),
      ['run', `--config.file=${config}`, `--config.defaults=${path.join(PACKAGING_DIR, 'defaults.ini')}`],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    agent.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const pushTime = async (): Promise<number> => {
      const body = (await (await fetch(`${gateway.url}/api/v1/metrics`)).json()) as {
        data: Array<{ labels: Record<string, string>; push_time_seconds?: { metrics: Array<{ value: string }> } }>;
      };
      return Number(body.data.find((g) => g.labels['job'] === 'node' && g.labels['instance'] === 'bench-rss')?.push_time_seconds?.metrics[0]?.value ?? 0);
    };
    const watched = [
      { name: 'edgepush run (x64 executable)', pid: agent.pid! },
      { name: `node_exporter 1.5.0, scraped every ${INTERVAL}`, pid: nodeExporter.process.pid! },
      { name: `idle Node.js ${process.version}, baked flags`, pid: idleNode.pid! },
    ];
    const samples = watched.map(() => [] as Array<{ rss: number; anon: number; file: number }>);
    try {
      let last = 0;
      for (let i = 1; i <= CYCLES; i++) {
        last = await waitFor(
          `push ${i} of the agent (stderr: ${stderr.slice(-500)})`,
          async () => {
            const t = await pushTime();
            return t > last ? t : false;
          },
          { timeoutMs: 120_000, intervalMs: 200 },
        );
        await (await fetch(`${nodeExporter.url}/metrics`)).text();
        watched.forEach((w, j) =>
          samples[j]!.push({ rss: procStatusBytes(w.pid, 'VmRSS'), anon: procStatusBytes(w.pid, 'RssAnon'), file: procStatusBytes(w.pid, 'RssFile') }),
        );
      }
    } finally {
      agent.kill('SIGTERM');
    }
    // Steady: the second half of the cycles; the peak of each column there.
    const steady = samples.map((s) => s.slice(Math.floor(s.length / 2)));
    const peak = (j: number, k: 'rss' | 'anon' | 'file'): number => Math.max(...steady[j]!.map((x) => x[k]));
    const peer = peak(1, 'rss');
    table([
      ['process', 'steady RSS', 'anonymous', 'file-backed', 'RSS vs node_exporter'],
      ...watched.map((w, j) => [w.name, mib(peak(j, 'rss')), mib(peak(j, 'anon')), mib(peak(j, 'file')), ratio(peak(j, 'rss'), peer)]),
    ]);
    const ours = peak(0, 'rss');
    console.log(
      `edgepush (interval ${INTERVAL}, host + self to 1 Pushgateway, pushes ${CYCLES - steady[0]!.length + 1}-${CYCLES}): steady RSS ${mb(ours)}, target <= ${mb(RSS_TARGET)} ${ours <= RSS_TARGET ? 'ok' : 'MISSED'}; ` +
        `anonymous (the agent's own memory) ${mb(peak(0, 'anon'))}; the rest are clean pages of the executable file (shared, reclaimable)`,
    );
    console.log(`baked V8 flags: ${BAKED_NODE_FLAGS.join(' ')}`);
  } finally {
    idleNode.kill('SIGTERM');
    await nodeExporter.stop();
    await gateway.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * The product's size and memory: the executables, the four packages (with
 * the product's compression), and the steady resident set of the x64
 * executable running `edgepush run` as the service does, pushing host and self
 * metrics to a real Pushgateway every 15 s (targets: .deb <= 32 MB, RSS <= 50 MB).
 *   BENCH_RSS_CYCLES=8 (cycles of 15 s to watch), BENCH_RSS_INTERVAL=15s
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARCHES, BAKED_NODE_FLAGS, DIST_DIR, binaryName, build, upToDate } from '../lib/build.ts';
import { PACKAGING_DIR, buildPackages } from '../lib/package.ts';
import { startPushgateway } from '../../test/helpers/servers.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { procStatusBytes } from './proc-usage.ts';
import { mib, table } from './stats.ts';

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
  try {
    const state = path.join(work, 'state');
    const config = path.join(work, 'edgepush.ini');
    writeFileSync(
      config,
      `[agent]\ninterval = ${INTERVAL}\nstate_dir = ${state}\nlog_level = warn\n[identity]\ninstance = bench-rss\n[host]\ncollector.textfile.directory = ${work}\n[pushgateway.bench]\nurl = ${gateway.url}\n`,
    );
    const agent = spawn(path.join(DIST_DIR, binaryName('x64')), ['run', `--config.file=${config}`, `--config.defaults=${path.join(PACKAGING_DIR, 'defaults.ini')}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    agent.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const statusKb = (field: string): number => procStatusBytes(agent.pid!, field);
    const rssOf = (): number => statusKb('VmRSS');
    const pushTime = async (): Promise<number> => {
      const body = (await (await fetch(`${gateway.url}/api/v1/metrics`)).json()) as { data: Array<{ labels: Record<string, string>; push_time_seconds?: { metrics: Array<{ value: string }> } }> };
      return Number(body.data.find((g) => g.labels['job'] === 'node' && g.labels['instance'] === 'bench-rss')?.push_time_seconds?.metrics[0]?.value ?? 0);
    };
    const samples: number[] = [];
    let breakdown = '';
    try {
      let last = 0;
      for (let i = 1; i <= CYCLES; i++) {
        last = await waitFor(`push ${i} of the agent (stderr: ${stderr.slice(-500)})`, async () => {
          const t = await pushTime();
          return t > last ? t : false;
        }, { timeoutMs: 120_000, intervalMs: 200 });
        samples.push(rssOf());
      }
      // Where the resident set is: the agent's own memory, and clean pages of the executable (shared, reclaimable).
      breakdown = `anonymous ${mib(statusKb('RssAnon'))}, file-backed ${mib(statusKb('RssFile'))} (mostly the executable's own code and data pages)`;
    } finally {
      agent.kill('SIGTERM');
    }
    const steady = samples.slice(Math.floor(samples.length / 2));
    const peak = Math.max(...steady);
    console.log(
      `edgepush run (x64 executable, interval ${INTERVAL}, host + self to 1 Pushgateway): RSS after push 1 ${mib(samples[0]!)}, ` +
        `steady (pushes ${samples.length - steady.length + 1}-${samples.length}) ${mib(Math.min(...steady))}-${mib(peak)} = ${mb(peak)}, target <= ${mb(RSS_TARGET)} ${peak <= RSS_TARGET ? 'ok' : 'MISSED'}`,
    );
    console.log(`at the last push: ${breakdown}; baked V8 flags: ${BAKED_NODE_FLAGS.join(' ')}`);
  } finally {
    await gateway.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * The self-contained executables: they run with no Node.js on the PATH, from
 * an empty directory, as an unprivileged user, and give the same output as
 * the source tree; the arm64 one runs under qemu-user; the build is
 * reproducible.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build, bundle, gitCommit, packageVersion, readBuildInfo } from '../../scripts/lib/build.ts';
import { runCli } from '../helpers/cli.ts';
import { runProcess } from '../helpers/run.ts';
import { FIXTURE_PROC, FIXTURE_SYS, FIXTURE_UDEV, FIXTURES } from '../helpers/fixtures.ts';
import { ensureBinaries } from './build-once.ts';
import { missingPeers, startPushgateway } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';
import { adviceMissing, smapsOf } from '../helpers/smaps.ts';

const QEMU = '/usr/bin/qemu-aarch64-static';
/** Debian's libc6/libstdc++6/libgcc-s1-arm64-cross packages install the arm64 runtime here. */
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
const NOBODY = 65534;

const FIXTURE_FLAGS = [`--path.procfs=${FIXTURE_PROC}`, `--path.sysfs=${FIXTURE_SYS}`, `--path.rootfs=${FIXTURES}`, `--path.udev.data=${FIXTURE_UDEV}`];
const LOADAVG_ONLY = [...FIXTURE_FLAGS, '--collector.disable-defaults', '--collector.loadavg'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs with an environment that has no node anywhere on the PATH; as nobody
 * when we are root, unless comparing with the source tree run as ourselves
 * (some fixture files, like DMI serials, are readable by root only).
 */
function run(command: string, args: readonly string[], cwd: string, options: { unprivileged?: boolean; env?: Record<string, string> } = {}): Promise<Run> {
  const asRoot = process.getuid?.() === 0 && options.unprivileged !== false;
  return runProcess(command, args, {
    cwd,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', ...options.env },
    timeoutMs: 60_000,
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
}

/** `name{labels}` of every sample: values (durations) differ between runs, identities must not. */
function sampleIdentities(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.slice(0, l.lastIndexOf(' ')))
    .sort();
}

const withoutDurations = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('node_scrape_collector_duration_seconds'))
    .join('\n');

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('self-contained executable', () => {
  let binaries: Awaited<ReturnType<typeof ensureBinaries>>;
  let work: string;
  let emptyDir: string;
  let x64: string;

  before(async () => {
    binaries = await ensureBinaries();
    work = mkdtempSync(path.join(tmpdir(), 'edgepush-bin-'));
    chmodSync(work, 0o755);
    // A copy outside the repository: nothing beside the binary can be used.
    x64 = path.join(work, 'edgepush');
    copyFileSync(binaries.x64, x64);
    chmodSync(x64, 0o755);
    emptyDir = mkdtempSync(path.join(work, 'empty-'));
    chmodSync(emptyDir, 0o755);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('version prints version, commit and Node version, with no node on the PATH, as an unprivileged user', async () => {
    const r = await run(x64, ['version'], emptyDir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `edgepush ${packageVersion()} (commit ${readBuildInfo()?.commit}, node v${process.versions.node}, linux/x64)\n`);
    assert.equal(r.stderr, '', 'no warnings (experimental SEA, flags) on stderr');
  });

  test('once on the fixture tree gives what the source tree gives', async () => {
    const [bin, src] = await Promise.all([run(x64, ['once', ...FIXTURE_FLAGS], emptyDir, { unprivileged: false }), runCli(['once', ...FIXTURE_FLAGS])]);
    assert.equal(bin.code, 0, bin.stderr);
    assert.equal(src.code, 0, src.stderr);
    assert.deepEqual(sampleIdentities(bin.stdout), sampleIdentities(src.stdout));
    assert.ok(bin.stdout.includes('node_scrape_collector_success{collector="loadavg"} 1'));

    const [binLoad, srcLoad] = await Promise.all([run(x64, ['once', ...LOADAVG_ONLY], emptyDir, { unprivileged: false }), runCli(['once', ...LOADAVG_ONLY])]);
    assert.equal(withoutDurations(binLoad.stdout), withoutDurations(srcLoad.stdout));
  });

  test("modules the agent does not use stay unloaded: undici's HTTP/2 (node:http2), HTTPS/TLS without a TLS listener or gateway, worker threads without a mount that may hang", async () => {
    // What Node.js has loaded, printed as the process exits (NODE_OPTIONS --require works in the executable).
    const preload = path.join(work, 'print-modules.cjs');
    writeFileSync(preload, "process.on('exit', () => require('node:fs').writeSync(2, '\\nloaded: ' + process.moduleLoadList.join(',') + '\\n'));\n");
    chmodSync(preload, 0o644);
    const r = await run(x64, ['once', ...LOADAVG_ONLY], emptyDir, { env: { NODE_OPTIONS: `--require=${preload}` } });
    assert.equal(r.code, 0, r.stderr);
    const loaded = new Set(/^loaded: (.*)$/m.exec(r.stderr)?.[1]?.split(',') ?? []);
    assert.ok(loaded.has('NativeModule http'), `the preload printed the modules: ${r.stderr.slice(0, 300)}`);
    for (const unused of ['http2', 'https', 'tls', 'worker_threads']) assert.ok(!loaded.has(`NativeModule ${unused}`), `node:${unused} is loaded`);
  });

  test('help and bad usage behave like the source tree', async () => {
    const help = await run(x64, ['--help'], emptyDir);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: edgepush <command>/);
    const onceHelp = await run(x64, ['once', '--help'], emptyDir);
    assert.equal(onceHelp.code, 0);
    assert.match(onceHelp.stdout, /--path\.procfs/);
    const bad = await run(x64, ['no-such-command'], emptyDir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command "no-such-command"/);
  });

  test('two exporters near the default size limit at once are pushed (sample_limit raised): the baked V8 heap cap leaves room for them', async (t) => {
    const missing = missingPeers('pushgateway');
    if (missing) {
      t.skip(missing);
      return;
    }
    // ~8.7 MiB of text each (the default size_limit is 10 MiB), 100,000 series.
    let body = '# HELP big_metric A large exporter.\n# TYPE big_metric gauge\n';
    for (let i = 0; i < 100_000; i++)
      body += `big_metric{instance_id="i-${i.toString(16).padStart(8, '0')}",path="/var/lib/some/long/path/${i}",kind="k${i % 7}"} ${i * 1.5}\n`;
    const exporter = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body));
    exporter.listen(0, '127.0.0.1');
    await once(exporter, 'listening');
    const gateway = await startPushgateway();
    const config = path.join(work, 'big.ini');
    const port = (exporter.address() as AddressInfo).port;
    writeFileSync(
      config,
      // One cycle (1h interval) with room for a loaded machine: what is asserted is that the heap cap leaves room, not speed.
      `[agent]\ninterval = 1h\ntimeout = 100s\nsplay = false\nstate_dir = ${work}/big-state\n[host]\nenabled = false\n` +
        `[exporter.big1]\nurl = http://127.0.0.1:${port}/metrics\nsample_limit = 100000\n[exporter.big2]\nurl = http://127.0.0.1:${port}/metrics\nsample_limit = 100000\n` +
        `[pushgateway.test]\nurl = ${gateway.url}\ntimeout = 60s\n`,
    );
    const agent = spawn(x64, ['run', `--config.file=${config}`, `--config.defaults=${work}/none.ini`], { cwd: emptyDir, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    agent.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    try {
      const outcome = await waitFor(
        'both large groups at the gateway, or the agent gone',
        async () => {
          if (agent.exitCode !== null || agent.signalCode !== null) return `died (${agent.exitCode ?? agent.signalCode})`;
          const groups = ((await (await fetch(`${gateway.url}/api/v1/metrics`)).json()) as { data: Array<{ big_metric?: unknown }> }).data;
          return groups.filter((g) => g.big_metric !== undefined).length === 2 ? 'pushed' : false;
        },
        { timeoutMs: 240_000, intervalMs: 500 },
      ).catch((err: Error) => `${err.message}; agent log: ${log.slice(-2000)}`);
      assert.equal(outcome, 'pushed', log.slice(-2000));
    } finally {
      agent.kill('SIGTERM');
      exporter.close();
      await gateway.stop();
    }
  });

  test("the running agent has advised its executable's mappings as the kernel needs (the embedded addon's madvise)", async () => {
    const config = path.join(work, 'advice.ini');
    writeFileSync(config, `[agent]\ninterval = 1h\nsplay = false\nstate_dir = ${work}/advice-state\n[host]\nenabled = false\n`);
    const agent = spawn(x64, ['run', `--config.file=${config}`, `--config.defaults=${work}/none.ini`], { cwd: emptyDir, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    agent.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    try {
      const outcome = await waitFor(
        'every mapping of the executable advised as this kernel needs, or the agent gone',
        () => {
          if (agent.exitCode !== null || agent.signalCode !== null) return `died (${agent.exitCode ?? agent.signalCode})`;
          return adviceMissing(smapsOf(x64, agent.pid!)).length === 0 ? 'advised' : false;
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      ).catch((err: Error) => `${err.message}; missing: ${adviceMissing(smapsOf(x64, agent.pid!)).slice(0, 5).join('; ')}; agent log: ${log.slice(-2000)}`);
      assert.equal(outcome, 'advised');
      assert.doesNotMatch(log, /native addon not loaded|madvise refused/);
    } finally {
      agent.kill('SIGTERM');
    }
  });

  test('the arm64 executable runs under qemu-user and gives the same output', async (t) => {
    if (!existsSync(QEMU) || !existsSync(path.join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) {
      t.skip(
        `needs ${QEMU} and the arm64 runtime in ${ARM64_SYSROOT} (scripts/install-test-deps.sh installs qemu-user-static and libc6/libstdc++6/libgcc-s1-arm64-cross)`,
      );
      return;
    }
    const arm64 = path.join(work, 'edgepush-arm64');
    copyFileSync(binaries.arm64, arm64);
    chmodSync(arm64, 0o755);
    const version = await run(QEMU, ['-L', ARM64_SYSROOT, arm64, 'version'], emptyDir);
    assert.equal(version.code, 0, version.stderr);
    assert.match(
      version.stdout,
      new RegExp(`^edgepush ${packageVersion().replaceAll('.', '\\.')} \\(commit \\w+, node v${process.versions.node}, linux/arm64\\)\\n$`),
    );
    const [arm, amd] = await Promise.all([
      run(QEMU, ['-L', ARM64_SYSROOT, arm64, 'once', ...LOADAVG_ONLY], emptyDir),
      run(x64, ['once', ...LOADAVG_ONLY], emptyDir),
    ]);
    assert.equal(arm.code, 0, arm.stderr);
    assert.equal(withoutDurations(arm.stdout), withoutDurations(amd.stdout));
  });

  test('the native part is embedded and loads from the executable alone, as nobody: x64, and arm64 under qemu-user', async (t) => {
    const TIMEX = ['once', '--collector.disable-defaults', '--collector.timex'];
    const x64Run = await run(x64, [...TIMEX, '--collector.tcpstat'], emptyDir);
    assert.equal(x64Run.code, 0, x64Run.stderr);
    assert.equal(x64Run.stderr, '', 'no warning: the addon loaded');
    assert.match(x64Run.stdout, /^node_scrape_collector_success\{collector="timex"\} 1$/m);
    assert.match(x64Run.stdout, /^node_scrape_collector_success\{collector="tcpstat"\} 1$/m);
    assert.match(x64Run.stdout, /^node_timex_tick_seconds \S+$/m);
    assert.match(x64Run.stdout, /^node_tcp_connection_states\{state="tx_queued_bytes"\} \d+$/m);

    if (!existsSync(QEMU) || !existsSync(path.join(ARM64_SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) {
      t.skip(`arm64 part needs ${QEMU} and the arm64 runtime in ${ARM64_SYSROOT} (scripts/install-test-deps.sh)`);
      return;
    }
    const arm64 = path.join(work, 'edgepush-arm64-native');
    copyFileSync(binaries.arm64, arm64);
    chmodSync(arm64, 0o755);
    // qemu-user forwards adjtimex but no sock_diag netlink, so only timex runs there.
    const armRun = await run(QEMU, ['-L', ARM64_SYSROOT, arm64, ...TIMEX], emptyDir);
    assert.equal(armRun.code, 0, armRun.stderr);
    assert.equal(armRun.stderr, '', 'no warning: the arm64 addon loaded');
    assert.match(armRun.stdout, /^node_scrape_collector_success\{collector="timex"\} 1$/m);
    assert.match(armRun.stdout, /^node_timex_tick_seconds \S+$/m);
  });

  test('the build is reproducible: the same inputs give the same bytes', async () => {
    const info = readBuildInfo();
    assert.ok(info, 'dist/build-info.json written by the build');
    assert.equal(info.commit, gitCommit());
    const again = mkdtempSync(path.join(work, 'rebuild-'));
    const [rebuilt] = await build({ arches: ['x64'], version: info.version, commit: info.commit, outDir: again, log: () => {} });
    assert.ok(rebuilt);
    assert.equal(sha256(rebuilt.path), sha256(binaries.x64));
  });

  test('the product carries no source map and is stripped', async () => {
    const bundled = path.join(work, 'bundle.cjs');
    await bundle(bundled, '0.0.0', 'test');
    assert.doesNotMatch(readFileSync(bundled, 'utf8'), /sourceMappingURL/, 'no source map in the bundle');
    const sections = execFileSync('readelf', ['-S', '-W', binaries.x64]).toString();
    if (existsSync('/usr/bin/strip')) assert.doesNotMatch(sections, /\.debug_info|\.symtab/, 'debug info and symbols stripped');
  });
});

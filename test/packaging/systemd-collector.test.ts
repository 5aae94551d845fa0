/**
 * The systemd collector against the real thing: in a debootstrapped Debian
 * root booted with systemd-nspawn, edgepush's `once` and Debian's
 * node_exporter 1.5.0 (from the test peers) read the same systemd, on the
 * system bus and on systemd's private socket, with node_exporter's flags;
 * their node_systemd_* families must agree in names, HELP, TYPE, labels and
 * values. And the packaged service, under its hardening and as the edgepush
 * user, reads the bus and pushes the collector's series. One boot for all.
 * Skipped, with the reason, where systemd cannot be booted.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseText } from '../../src/model/text-parser.ts';
import type { MetricFamily } from '../../src/model/family.ts';
import { CACHE_DIR } from '../../scripts/lib/build.ts';
import { ensurePeer } from '../../scripts/lib/peers.ts';
import { freePort, missingPeers, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';
import { ensurePackage } from './build-once.ts';
import { BootedRoot, bootedRootUnavailable, copyRoot, ensureDebianRoot } from './debian-root.ts';

/** node_exporter 1.12 added it; the 1.5.0 peer has not (checked on its own below). */
const NEWER_THAN_PEER = new Set(['node_systemd_virtualization_info']);
const NODE_EXPORTER = '/usr/local/bin/prometheus-node-exporter';
/** Upstream's default: Debian's build adds "target" to it, and edgepush follows upstream. */
const UPSTREAM_UNIT_EXCLUDE = '--collector.systemd.unit-exclude=.+\\.(automount|device|mount|scope|slice)';
const ALL_METRICS = ['--collector.systemd.enable-task-metrics', '--collector.systemd.enable-restarts-metrics', '--collector.systemd.enable-start-time-metrics'];

const skipReason = bootedRootUnavailable() ?? missingPeers('nodeExporter', 'pushgateway');

let work: string;
let container: BootedRoot | undefined;
let gateway: RunningServer | undefined;
let bootProblem: string | undefined;

before(async () => {
  if (skipReason) return;
  const [pristine, deb] = await Promise.all([ensureDebianRoot(), ensurePackage('deb', 'x64')]);
  work = mkdtempSync(path.join(CACHE_DIR, 'systemd-collector-'));
  const root = path.join(work, 'root');
  copyRoot(pristine, root);
  copyFileSync(deb, path.join(root, 'root', 'edgepush.deb'));
  copyFileSync(ensurePeer('nodeExporter')['node-exporter'], path.join(root, NODE_EXPORTER));
  gateway = await startPushgateway();
  container = new BootedRoot(root, `edgepush-sd${process.pid}`);
  bootProblem = await container.bootOrReason();
});

after(async () => {
  await container?.shutdown();
  await gateway?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function systemdFamilies(text: string): Map<string, MetricFamily> {
  return new Map(
    parseText(text)
      .filter((f) => f.name.startsWith('node_systemd_'))
      .map((f) => [f.name, f]),
  );
}

/** What differs between two sets of families: names, HELP, TYPE, series and values. */
function differences(ours: Map<string, MetricFamily>, theirs: Map<string, MetricFamily>): string[] {
  const out: string[] = [];
  for (const name of new Set([...ours.keys(), ...theirs.keys()])) {
    const a = ours.get(name);
    const b = theirs.get(name);
    if (!a || !b) {
      out.push(`${name}: only in ${a ? 'edgepush' : 'node_exporter'}`);
      continue;
    }
    if (a.help !== b.help) out.push(`${name}: HELP ${JSON.stringify(a.help)}, node_exporter ${JSON.stringify(b.help)}`);
    if (a.type !== b.type) out.push(`${name}: TYPE ${a.type}, node_exporter ${b.type}`);
    const values = (f: MetricFamily): Map<string, number> => new Map(f.samples.map((s) => [JSON.stringify(Object.entries(s.labels).sort()), s.value]));
    const va = values(a);
    const vb = values(b);
    for (const key of new Set([...va.keys(), ...vb.keys()])) {
      if (!Object.is(va.get(key), vb.get(key))) out.push(`${name}${key}: ${va.get(key)}, node_exporter ${vb.get(key)}`);
    }
  }
  return out;
}

test('the systemd collector on a booted systemd: as node_exporter on the bus and the private socket, and under the packaged unit', async (t) => {
  if (skipReason || bootProblem) {
    t.skip(skipReason ?? bootProblem);
    return;
  }
  const c = container!;
  let runs = 0;

  /** Reads both sides with the same flags until they agree (a unit may change state between two reads); returns edgepush's families. */
  const compare = async (flags: string[]): Promise<Map<string, MetricFamily>> => {
    const port = await freePort();
    const unit = `node-exporter-${++runs}`;
    const theirFlags = flags.some((f) => f.startsWith('--collector.systemd.unit-exclude=')) ? flags : [UPSTREAM_UNIT_EXCLUDE, ...flags];
    await c.must([
      'systemd-run',
      `--unit=${unit}`,
      NODE_EXPORTER,
      `--web.listen-address=127.0.0.1:${port}`,
      '--collector.disable-defaults',
      '--collector.systemd',
      ...theirFlags,
    ]);
    try {
      const url = `http://127.0.0.1:${port}/metrics`;
      await waitFor(`node_exporter in the container on ${url}`, async () => (await fetch(url)).ok, { timeoutMs: 60_000, intervalMs: 250 });
      const once = ['edgepush', 'once', '--collector.disable-defaults', '--collector.systemd', ...flags];
      // Fails at once rather than at the deadline when edgepush itself cannot collect.
      const first = await c.exec(once);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^node_scrape_collector_success\{collector="systemd"\} 1$/m, first.stdout + first.stderr);
      let ours = new Map<string, MetricFamily>();
      await waitFor(
        `edgepush and node_exporter to agree with ${flags.join(' ') || 'the default flags'}`,
        async () => {
          const [mine, theirs] = await Promise.all([c.exec(once), fetch(url).then((r) => r.text())]);
          if (!/^node_scrape_collector_success\{collector="systemd"\} 1$/m.test(mine.stdout))
            throw new Error(`edgepush's systemd collector failed: ${mine.stderr}`);
          ours = systemdFamilies(mine.stdout);
          const comparable = new Map([...ours].filter(([name]) => !NEWER_THAN_PEER.has(name)));
          const diff = differences(comparable, systemdFamilies(theirs));
          if (diff.length > 0) throw new Error(diff.slice(0, 20).join('\n'));
          return true;
        },
        { timeoutMs: 90_000, intervalMs: 1000 },
      );
      return ours;
    } finally {
      await c.exec(['systemctl', 'stop', unit]);
    }
  };

  await t.test('installed: the packaged service reads the bus under its hardening, as the edgepush user', async () => {
    const gw = gateway!;
    await c.must([
      'sh',
      '-c',
      `mkdir -p /etc/edgepush/conf.d && cat > /etc/edgepush/conf.d/50-test.ini <<'EOF'
[agent]
interval = 5s
timeout = 4s
[pushgateway.test]
url = ${gw.url}
timeout = 2s
[host]
collector.systemd = true
EOF`,
    ]);
    await c.must(['dpkg', '-i', '/root/edgepush.deb']);
    const instance = (await c.must(['hostname'])).trim();
    const pushed = await waitFor(
      'the service to push the systemd collector',
      async () => {
        const text = await (await fetch(`${gw.url}/metrics`)).text();
        return new RegExp(`^node_scrape_collector_success\\{collector="systemd",instance="${instance}",job="node"\\} 1$`, 'm').test(text) ? text : false;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    assert.match(
      pushed,
      new RegExp(`^node_systemd_unit_state\\{instance="${instance}",job="node",name="edgepush.service",state="active",type="exec"\\} 1$`, 'm'),
    );
    assert.match(await c.must(['sh', '-c', 'ps -o user= -p "$(systemctl show -p MainPID --value edgepush)"']), /^edgepush$/m);
    assert.doesNotMatch(
      await c.must(['journalctl', '-u', 'edgepush', '--no-pager', '-o', 'cat']),
      /couldn't get dbus connection/,
      'the bus was reachable from the first cycle on',
    );
  });

  await t.test('system bus, every family switched on', async () => {
    const ours = await compare(ALL_METRICS);
    for (const family of [
      'node_systemd_unit_state',
      'node_systemd_units',
      'node_systemd_version',
      'node_systemd_system_running',
      'node_systemd_timer_last_trigger_seconds',
      'node_systemd_socket_accepted_connections_total',
      'node_systemd_service_restart_total',
      'node_systemd_unit_tasks_max',
      'node_systemd_unit_start_time_seconds',
    ]) {
      assert.ok(ours.has(family), `${family} compared (the booted root has units for it)`);
    }
    // node_systemd_unit_tasks_current is compared too, but present only where the container's cgroup counts tasks.
    assert.deepEqual(
      ours.get('node_systemd_virtualization_info')?.samples.map((s) => s.labels),
      [{ virtualization_type: 'systemd-nspawn' }],
    );
  });

  await t.test('default flags; unit-include and unit-exclude', async () => {
    await compare([]);
    const ours = await compare([
      '--collector.systemd.unit-include=(dbus|cron|systemd-.*)\\.(service|socket|timer)',
      '--collector.systemd.unit-exclude=systemd-journald.*',
    ]);
    const names = new Set(ours.get('node_systemd_unit_state')!.samples.map((s) => s.labels['name']));
    assert.ok(names.has('dbus.service') && names.has('dbus.socket'), [...names].join(' '));
    assert.ok(![...names].some((n) => n!.startsWith('systemd-journald')), 'excluded units are left out');
  });

  await t.test("systemd's private socket (root)", async () => {
    await compare(['--collector.systemd.private', ...ALL_METRICS]);
  });
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setLogSink } from '../../../../src/log.ts';
import { parseFlags } from '../../../../src/config/flags.ts';
import { COLLECTORS } from '../../../../src/sources/host/machinery/registry.ts';
import { hostConfigFromFlags, hostFlagSpecs } from '../../../../src/sources/host/machinery/host-flags.ts';
import { CollectorRunner, resolveEnabled } from '../../../../src/sources/host/machinery/collector-runner.ts';
import type { MetricFamily } from '../../../../src/model/family.ts';
import { makeTree, runCollectors, treeFlags, type HostRun } from '../../../helpers/host.ts';
import { startFakeSystemd, str, t, u, type FakeSystemd, type FakeUnit } from '../dbus/fake-systemd.ts';

const UNITS: FakeUnit[] = [
  {
    name: 'ssh.service',
    activeState: 'active',
    props: {
      'Service.Type': str('notify'),
      'Service.NRestarts': u(2),
      'Service.TasksCurrent': t(3n),
      'Service.TasksMax': t(4915n),
      'Unit.ActiveEnterTimestamp': t(1_700_000_000_123_456n),
    },
  },
  {
    name: 'cron.service',
    activeState: 'failed',
    props: { 'Service.Type': str('simple'), 'Service.NRestarts': u(0), 'Service.TasksCurrent': t(2n ** 64n - 1n), 'Service.TasksMax': t(2n ** 64n - 1n) },
  },
  { name: 'ghost.service', activeState: 'inactive', loadState: 'not-found' },
  { name: 'reloading.service', activeState: 'reloading', props: { 'Service.Type': str('oneshot') } },
  { name: 'dev-sda.device', activeState: 'active' },
  { name: 'home.mount', activeState: 'active', props: { 'Mount.Type': str('ext4') } },
  { name: 'api.socket', activeState: 'active', props: { 'Socket.NAccepted': u(5), 'Socket.NConnections': u(1), 'Socket.NRefused': u(0) } },
  { name: 'old.socket', activeState: 'active', props: { 'Socket.NAccepted': u(9) } },
  { name: 'apt.timer', activeState: 'inactive', props: { 'Timer.LastTriggerUSec': t(1_699_999_000_000_000n) } },
];

let fake: FakeSystemd;
const savedAddress = process.env['DBUS_SYSTEM_BUS_ADDRESS'];

before(async () => {
  fake = await startFakeSystemd(UNITS);
  process.env['DBUS_SYSTEM_BUS_ADDRESS'] = `unix:path=${fake.socketPath}`;
});

after(async () => {
  if (savedAddress === undefined) delete process.env['DBUS_SYSTEM_BUS_ADDRESS'];
  else process.env['DBUS_SYSTEM_BUS_ADDRESS'] = savedAddress;
  await fake.close();
});

function series(run: HostRun, family: string): Record<string, number> {
  const f: MetricFamily | undefined = run.byName.get(family);
  return Object.fromEntries((f?.samples ?? []).map((x) => [Object.values(x.labels).join(','), x.value]));
}

test('systemd is off by default, as in node_exporter', () => {
  assert.equal(resolveEnabled(COLLECTORS, false, new Map()).has('systemd'), false);
});

test("node_exporter's default families: unit states of loaded units not excluded, the summary of all units, version, virtualization, system state, sockets, timers", async () => {
  const run = await runCollectors(['systemd']);
  assert.equal(run.success.get('systemd'), 1, run.text);
  const states = series(run, 'node_systemd_unit_state');
  assert.deepEqual(
    Object.keys(states)
      .filter((k) => states[k] === 1)
      .sort(),
    ['api.socket,active,', 'apt.timer,inactive,', 'cron.service,failed,simple', 'old.socket,active,', 'ssh.service,active,notify'],
  );
  // Five series per unit; reloading.service has none set to 1, ghost (not loaded), the device and the mount (default exclude) are left out.
  assert.equal(Object.keys(states).length, 6 * 5);
  assert.equal(states['reloading.service,active,oneshot'], 0);
  assert.equal(run.byName.get('node_systemd_unit_state')?.help, 'Systemd unit');
  assert.deepEqual(series(run, 'node_systemd_units'), { active: 5, activating: 0, deactivating: 0, inactive: 2, failed: 1, reloading: 1 });
  assert.deepEqual(series(run, 'node_systemd_version'), { '252.36-1~deb12u1': 252.36 });
  assert.deepEqual(series(run, 'node_systemd_virtualization_info'), { none: 1 });
  assert.deepEqual(series(run, 'node_systemd_system_running'), { '': 1 });
  assert.deepEqual(series(run, 'node_systemd_timer_last_trigger_seconds'), { 'apt.timer': 1_699_999_000 });
  assert.deepEqual(series(run, 'node_systemd_socket_accepted_connections_total'), { 'api.socket': 5, 'old.socket': 9 });
  assert.deepEqual(series(run, 'node_systemd_socket_current_connections'), { 'api.socket': 1 });
  assert.deepEqual(series(run, 'node_systemd_socket_refused_connections_total'), { 'api.socket': 0 });
  assert.equal(run.byName.get('node_systemd_socket_refused_connections_total')?.type, 'gauge');
  for (const gated of [
    'node_systemd_service_restart_total',
    'node_systemd_unit_tasks_current',
    'node_systemd_unit_tasks_max',
    'node_systemd_unit_start_time_seconds',
  ]) {
    assert.equal(run.byName.has(gated), false, `${gated} needs its flag`);
  }
});

test('the enable-* flags add restarts, tasks (none where systemd says no value) and start times (0 when not active)', async () => {
  const run = await runCollectors(
    ['systemd'],
    ['--collector.systemd.enable-restarts-metrics', '--collector.systemd.enable-task-metrics', '--collector.systemd.enable-start-time-metrics'],
  );
  assert.equal(run.success.get('systemd'), 1, run.text);
  assert.deepEqual(series(run, 'node_systemd_service_restart_total'), { 'ssh.service': 2, 'cron.service': 0 });
  assert.equal(run.byName.get('node_systemd_service_restart_total')?.type, 'counter');
  assert.deepEqual(series(run, 'node_systemd_unit_tasks_current'), { 'ssh.service': 3 });
  assert.deepEqual(series(run, 'node_systemd_unit_tasks_max'), { 'ssh.service': 4915 });
  assert.deepEqual(series(run, 'node_systemd_unit_start_time_seconds'), {
    'ssh.service': 1_700_000_000.123456,
    'cron.service': 0,
    'reloading.service': 0,
    'apt.timer': 0,
    // Active, but the fake has no ActiveEnterTimestamp for them: left out, as node_exporter does on an error.
  });
});

test('unit-include and unit-exclude match whole names; both must agree', async () => {
  const run = await runCollectors(
    ['systemd'],
    ['--collector.systemd.unit-include=ssh\\.service|home\\.mount|.*\\.socket', '--collector.systemd.unit-exclude=old\\..*'],
  );
  assert.equal(run.success.get('systemd'), 1, run.text);
  const names = new Set(run.byName.get('node_systemd_unit_state')!.samples.map((x) => x.labels['name']));
  assert.deepEqual([...names].sort(), ['api.socket', 'home.mount', 'ssh.service']);
  assert.equal(series(run, 'node_systemd_unit_state')['home.mount,active,ext4'], 1, 'a mount unit has its Mount.Type');
  // The summary counts every unit, filtered or not.
  assert.equal(series(run, 'node_systemd_units')['active'], 5);
  const partial = await runCollectors(['systemd'], ['--collector.systemd.unit-include=ssh']);
  assert.equal(partial.byName.get('node_systemd_unit_state'), undefined, 'include is anchored: "ssh" is not ssh.service');
});

test('the deprecated unit-whitelist works while unit-include keeps its default', async () => {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  const run = await runCollectors(['systemd'], ['--collector.systemd.unit-whitelist=cron\\.service']).finally(() => setLogSink(previous));
  assert.match(lines.join(''), /level=warn msg="--collector.systemd.unit-whitelist is deprecated, use --collector.systemd.unit-include"/);
  assert.deepEqual([...new Set(run.byName.get('node_systemd_unit_state')!.samples.map((x) => x.labels['name']))], ['cron.service']);
});

test('an old systemd (< 212) has no system state or timer series', async () => {
  const old = await startFakeSystemd(UNITS, { Version: '211', Virtualization: 'kvm', SystemState: 'running' });
  process.env['DBUS_SYSTEM_BUS_ADDRESS'] = `unix:path=${old.socketPath}`;
  try {
    const run = await runCollectors(['systemd']);
    assert.equal(run.success.get('systemd'), 1, run.text);
    assert.deepEqual(series(run, 'node_systemd_version'), { '211': 211 });
    assert.deepEqual(series(run, 'node_systemd_virtualization_info'), { kvm: 1 });
    assert.equal(run.byName.has('node_systemd_system_running'), false);
    assert.equal(run.byName.has('node_systemd_timer_last_trigger_seconds'), false);
    assert.equal(
      old.calls.some((c) => c.includes('LastTriggerUSec') || c.includes('SystemState')),
      false,
    );
  } finally {
    process.env['DBUS_SYSTEM_BUS_ADDRESS'] = `unix:path=${fake.socketPath}`;
    await old.close();
  }
});

test('without a bus only systemd fails, and says so in one log line however many cycles', async () => {
  process.env['DBUS_SYSTEM_BUS_ADDRESS'] = 'unix:path=/nonexistent/edgepush-test/bus';
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    const root = makeTree({ 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
    const flags = ['--collector.disable-defaults', '--collector.systemd', '--collector.loadavg', ...treeFlags(root)];
    const source = new CollectorRunner(COLLECTORS, hostConfigFromFlags(COLLECTORS, parseFlags(flags, hostFlagSpecs(COLLECTORS)).given));
    for (let cycle = 0; cycle < 3; cycle++) {
      const families = await source.collect();
      const success = Object.fromEntries(
        families.find((f) => f.name === 'node_scrape_collector_success')!.samples.map((x) => [x.labels['collector'], x.value]),
      );
      assert.deepEqual(success, { systemd: 0, loadavg: 1 });
      assert.ok(families.some((f) => f.name === 'node_load1'));
    }
  } finally {
    setLogSink(previous);
    process.env['DBUS_SYSTEM_BUS_ADDRESS'] = `unix:path=${fake.socketPath}`;
  }
  assert.equal(lines.length, 1, lines.join(''));
  assert.match(
    lines[0]!,
    /level=error msg="collector failed" .*collector=systemd.*couldn't get dbus connection: D-Bus \/nonexistent\/edgepush-test\/bus: connect ENOENT/,
  );
});

test('a systemd that cannot report its state fails the collector', async () => {
  const broken = await startFakeSystemd(UNITS, { Version: '252', Virtualization: '' });
  process.env['DBUS_SYSTEM_BUS_ADDRESS'] = `unix:path=${broken.socketPath}`;
  const previous = setLogSink(() => undefined);
  try {
    const run = await runCollectors(['systemd', 'loadavg'], treeFlags(makeTree({ 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' })));
    assert.equal(run.success.get('systemd'), 0);
    assert.equal(run.success.get('loadavg'), 1);
  } finally {
    setLogSink(previous);
    process.env['DBUS_SYSTEM_BUS_ADDRESS'] = `unix:path=${fake.socketPath}`;
    await broken.close();
  }
});

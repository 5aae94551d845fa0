import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseStat } from '../../../../src/sources/host/procfs/stat.ts';

const LOADAVG = { 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' };

test('stat matches node_exporter on the fixtures (with --collector.stat.softirq)', async () => {
  await assertMatchesE2E('stat');
});

test('stat leaves out softirqs unless --collector.stat.softirq', async () => {
  const run = await runCollectors(['stat'], treeFlags(makeTree({ 'proc/stat': 'btime 5\nsoftirq 3 1 1 1 0 0 0 0 0 0 0\n' })));
  assert.equal(run.success.get('stat'), 1);
  assert.equal(run.byName.get('node_softirqs_total'), undefined);
  assert.equal(run.byName.get('node_boot_time_seconds')!.samples[0]!.value, 5);
});

test('parseStat reads cpu lines in USER_HZ, short cpu lines of old kernels and the softirq vector', () => {
  const s = parseStat(
    'cpu  200 100 0 0\ncpu3 150 50 1 2 3 4 5 6 7 8\nintr 42 1 2\nctxt 7\nbtime 1418183276\nprocesses 9\nprocs_running 2\nprocs_blocked 1\nsoftirq 55 1 2 3 4 5 6 7 8 9 10\n',
  );
  assert.deepEqual(s.cpuTotal, { user: 2, nice: 1, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 });
  assert.equal(s.cpus.get(3)!.guestNice, 0.08);
  assert.equal(s.cpus.get(3)!.user, 1.5);
  assert.deepEqual([s.intrTotal, s.contextSwitches, s.bootTime, s.processesCreated, s.processesRunning, s.processesBlocked], [42, 7, 1418183276, 9, 2, 1]);
  assert.equal(s.softirqTotal, 55);
  assert.equal(s.softirq.rcu, 10);
  assert.equal(s.softirq.block_iopoll, 6);
});

test('parseStat rejects garbled numbers with the line', () => {
  assert.throws(() => parseStat('cpu0 12 x 3\n'), /\/proc\/stat line 1 \(cpu0\)/);
  assert.throws(() => parseStat('btime -1\n'), /btime/);
  assert.throws(() => parseStat('softirq 1 2 3\n'), /softirq/);
});

test('a garbled /proc/stat fails only the stat collector', async () => {
  const root = makeTree({ ...LOADAVG, 'proc/stat': 'cpu  1 2 3\nctxt many\n' });
  const run = await runCollectors(['stat', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('stat'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_context_switches_total'), undefined);
});

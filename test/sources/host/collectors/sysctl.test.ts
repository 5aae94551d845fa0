import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseSysctlSpec } from '../../../../src/sources/host/collectors/sysctl.ts';
import { sanitizeMetricName } from '../../../../src/sources/host/machinery/metric-name.ts';

test('sysctl matches node_exporter on the fixtures (plain, indexed, name:keys and info forms)', async () => {
  await assertMatchesE2E('sysctl');
});

test('include specs and metric names', () => {
  assert.deepEqual(parseSysctlSpec('fs.file-nr:total,current,max', true), { name: 'fs.file-nr', keys: ['total', 'current', 'max'], numeric: true });
  assert.equal(sanitizeMetricName('net.ipv4.tcp_rmem'), 'net_ipv4_tcp_rmem');
  assert.equal(sanitizeMetricName('fs.file-nr'), 'fs_file_nr');
});

test('values are read with one 128-byte read, as procfs SysReadFile does', async () => {
  const root = makeTree({ 'proc/sys/kernel/long': Array.from({ length: 60 }, (_, i) => String(i)).join(' ') + '\n' });
  const run = await runCollectors(['sysctl'], [...treeFlags(root), '--collector.sysctl.include=kernel.long']);
  const samples = run.byName.get('node_sysctl_kernel_long')!.samples;
  // "0 1 ... 9 " is 20 bytes, then 36 three-byte "10 " ... "45 " fill the 128.
  assert.equal(samples.length, 46);
});

test('a garbled or mis-keyed sysctl fails only the sysctl collector', async () => {
  const root = makeTree({ 'proc/sys/fs/file-nr': '1024\tzero\t5\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['sysctl', 'loadavg'], [...treeFlags(root), '--collector.sysctl.include=fs.file-nr']);
  assert.equal(run.success.get('sysctl'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  const keyed = makeTree({ 'proc/sys/fs/file-nr': '1 2 3\n' });
  assert.equal((await runCollectors(['sysctl'], [...treeFlags(keyed), '--collector.sysctl.include=fs.file-nr:a,b'])).success.get('sysctl'), 0);
});

test('numeric sysctls are parsed as procfs does (Go base-0 integers)', async () => {
  const root = makeTree({ 'proc/sys/kernel/mixed': '0x10\t010\t-5\n' });
  const run = await runCollectors(['sysctl'], [...treeFlags(root), '--collector.sysctl.include=kernel.mixed']);
  assert.deepEqual(
    run.byName.get('node_sysctl_kernel_mixed')!.samples.map((s) => s.value),
    [16, 8, -5],
  );
});

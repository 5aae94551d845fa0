import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseVulnerability } from '../../../../src/sources/host/sysfs/vulnerabilities.ts';

test('cpu_vulnerabilities matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('cpu_vulnerabilities');
});

test('parseVulnerability maps the kernel wording to state and mitigation', () => {
  assert.deepEqual(parseVulnerability('mds', 'Not affected\n'), { codename: 'mds', state: 'not affected', mitigation: '' });
  assert.deepEqual(parseVulnerability('mds', 'Vulnerable: Clear CPU buffers attempted, no microcode\n'), {
    codename: 'mds',
    state: 'vulnerable',
    mitigation: 'Clear CPU buffers attempted, no microcode',
  });
  assert.deepEqual(parseVulnerability('l1tf', 'Mitigation: PTE Inversion\n'), { codename: 'l1tf', state: 'mitigation', mitigation: 'PTE Inversion' });
  assert.deepEqual(parseVulnerability('x', 'KVM: something else\n'), { codename: 'x', state: 'unknown', mitigation: 'KVM: something else' });
});

test('cpu_vulnerabilities is off by default and emits nothing without the sysfs directory', async () => {
  const run = await runCollectors(['cpu_vulnerabilities'], treeFlags(makeTree({})));
  assert.equal(run.success.get('cpu_vulnerabilities'), 1);
  assert.equal(run.byName.get('node_cpu_vulnerabilities_info'), undefined);
});

test('an unreadable vulnerability entry fails only the cpu_vulnerabilities collector', async () => {
  const root = makeTree({ 'sys/devices/system/cpu/vulnerabilities/mds': 'Not affected\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  mkdirSync(path.join(root, 'sys/devices/system/cpu/vulnerabilities/spectre_v2'));
  const run = await runCollectors(['cpu_vulnerabilities', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('cpu_vulnerabilities'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});

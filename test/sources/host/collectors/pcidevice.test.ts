import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { assertMatchesE2E, makeTree, runCollectors, runOnFixtures, treeFlags } from '../../../helpers/host.ts';
import { parsePciLocation } from '../../../../src/sources/host/sysfs/pci-device.ts';
import { className, deviceName, parsePciIds, subsystemName, vendorName } from '../../../../src/sources/host/sysfs/pci-ids.ts';

test('pcidevice matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('pcidevice');
});

test('parsePciLocation reads segment:bus:device.function in hex', () => {
  assert.deepEqual(parsePciLocation('0000:4a:1f.7'), { segment: 0, bus: 0x4a, device: 0x1f, function: 7 });
  assert.throws(() => parsePciLocation('0000:4a'), /invalid PCI location/);
});

const PCI_IDS = `# comment
8086  Intel Corporation
\t1521  I350 Gigabit Network Connection
\t\t8086 00a3  Ethernet Network Adapter I350-T4
C 02  Network controller
\t00  Ethernet controller
C 06  Bridge
\t04  PCI bridge
\t\t00  Normal decode
`;

test('pci.ids lookups: vendor, device, subsystem, class from most to least specific', () => {
  const ids = parsePciIds(PCI_IDS);
  assert.equal(vendorName(ids, '0x8086'), 'Intel Corporation');
  assert.equal(vendorName(ids, '0x1022'), '1022');
  assert.equal(deviceName(ids, '0x8086', '0x1521'), 'I350 Gigabit Network Connection');
  assert.equal(subsystemName(ids, '0x8086', '0x1521', '0x8086', '0x00a3'), 'Ethernet Network Adapter I350-T4');
  assert.equal(className(ids, '0x060400'), 'Normal decode');
  assert.equal(className(ids, '0x020000'), 'Ethernet controller');
  assert.equal(className(ids, '0x0c0330'), 'Unknown class (0c0330)');
});

test('--collector.pcidevice.names adds name labels from --collector.pcidevice.idsfile', async () => {
  const root = makeTree({ 'pci.ids': PCI_IDS });
  const run = await runOnFixtures(['pcidevice'], ['--collector.pcidevice.names', `--collector.pcidevice.idsfile=${path.join(root, 'pci.ids')}`]);
  const intel = run.byName.get('node_pcidevice_info')!.samples.find((s) => s.labels['vendor_id'] === '0x8086')!;
  assert.equal(intel.labels['vendor_name'], 'Intel Corporation');
  assert.equal(intel.labels['subsystem_device_name'], 'Ethernet Network Adapter I350-T4');
  assert.equal(intel.labels['class_name'], 'Ethernet controller');
});

test('a garbled PCI attribute fails only the pcidevice collector; no PCI bus is no data', async () => {
  const root = makeTree({ 'sys/devices/pci0000:00/0000:00:01.0/class': 'bridge\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  mkdirSync(path.join(root, 'sys/bus/pci/devices'), { recursive: true });
  symlinkSync('../../../devices/pci0000:00/0000:00:01.0', path.join(root, 'sys/bus/pci/devices/0000:00:01.0'));
  const run = await runCollectors(['pcidevice', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('pcidevice'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  const none = await runCollectors(['pcidevice'], treeFlags(makeTree({})));
  assert.equal(none.success.get('pcidevice'), 0);
});

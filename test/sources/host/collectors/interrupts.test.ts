import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseInterrupts } from '../../../../src/sources/host/procfs/interrupts.ts';

const TEXT =
  '           CPU0       CPU1\n  0:         18          0  IR-IO-APIC-edge      timer\n 16:     328511          5  IR-IO-APIC-fasteoi   ehci_hcd:usb1, mmc0\nNMI:         47          0   Non-maskable interrupts\nERR:          0\n';

test('interrupts matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('interrupts');
});

test('parseInterrupts splits numbered IRQs into info and devices and skips ERR/MIS', () => {
  assert.deepEqual(parseInterrupts(TEXT), [
    { name: '0', values: ['18', '0'], info: 'IR-IO-APIC-edge', devices: 'timer' },
    { name: '16', values: ['328511', '5'], info: 'IR-IO-APIC-fasteoi', devices: 'ehci_hcd:usb1, mmc0' },
    { name: 'NMI', values: ['47', '0'], info: 'Non-maskable interrupts', devices: '' },
  ]);
  // arm64 writes no space between the name and the first count.
  assert.deepEqual(parseInterrupts('   CPU0\nIPI0:12 Rescheduling interrupts\n')[0]!.values, ['12']);
});

test('name filters see "name;info;devices"; --no-collector.interrupts.include-zeros drops zero counts', async () => {
  const root = makeTree({ 'proc/interrupts': TEXT });
  const included = await runCollectors(['interrupts'], [...treeFlags(root), '--collector.interrupts.name-include=;ehci_hcd']);
  assert.deepEqual(
    included.byName.get('node_interrupts_total')!.samples.map((s) => [s.labels['type'], s.labels['cpu']]),
    [
      ['16', '0'],
      ['16', '1'],
    ],
  );
  const excluded = await runCollectors(
    ['interrupts'],
    [...treeFlags(root), '--collector.interrupts.name-exclude=^NMI', '--no-collector.interrupts.include-zeros'],
  );
  assert.deepEqual(
    excluded.byName
      .get('node_interrupts_total')!
      .samples.map((s) => `${s.labels['type']}/${s.labels['cpu']}`)
      .sort(),
    ['0/0', '16/0', '16/1'],
  );
});

test('a garbled count fails only the interrupts collector', async () => {
  const root = makeTree({ 'proc/interrupts': '  CPU0\n  0:  1x  IR-IO-APIC-edge timer\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['interrupts', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('interrupts'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});

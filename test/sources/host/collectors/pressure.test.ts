import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parsePsi } from '../../../../src/sources/host/procfs/pressure.ts';

const LINE = (kind: string, total: number): string => `${kind} avg10=0.18 avg60=0.34 avg300=0.10 total=${total}\n`;

test('pressure matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('pressure');
});

test('parsePsi reads some and full lines', () => {
  assert.deepEqual(parsePsi(LINE('some', 159886802) + LINE('full', 0), 'io'), {
    some: { avg10: 0.18, avg60: 0.34, avg300: 0.1, totalMicroseconds: 159886802 },
    full: { avg10: 0.18, avg60: 0.34, avg300: 0.1, totalMicroseconds: 0 },
  });
  assert.throws(() => parsePsi('some avg10=0.1 total=5\n', 'cpu'), /malformed some line/);
});

test('pressure skips resources the kernel lacks (cpu without full, no irq) and reports none as no data', async () => {
  const partial = await runCollectors(['pressure'], treeFlags(makeTree({ 'proc/pressure/cpu': LINE('some', 2_000_000) })));
  assert.equal(partial.success.get('pressure'), 1);
  assert.deepEqual(
    [...partial.byName.keys()].filter((n) => n.startsWith('node_pressure')),
    ['node_pressure_cpu_waiting_seconds_total'],
  );
  assert.equal(partial.byName.get('node_pressure_cpu_waiting_seconds_total')!.samples[0]!.value, 2);
  const none = await runCollectors(['pressure'], treeFlags(makeTree({})));
  assert.equal(none.success.get('pressure'), 0);
});

test('a garbled pressure file fails only the pressure collector', async () => {
  const root = makeTree({ 'proc/pressure/cpu': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=1x\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['pressure', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('pressure'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});

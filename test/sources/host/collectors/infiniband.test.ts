import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseRate, parseState, readInfinibandClass } from '../../../../src/sources/host/sysfs/infiniband.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('infiniband matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('infiniband');
});

test('readInfinibandClass reads devices, ports and both counter sets', async () => {
  const devices = await readInfinibandClass(FIXTURE_SYS);
  assert.deepEqual(
    devices.map((d) => [d.name, d.ports.map((p) => p.port)]),
    [
      ['i40iw0', [1]],
      ['mlx4_0', [1, 2]],
    ],
  );
  const mlx4 = devices[1]!.ports[0]!;
  assert.deepEqual([mlx4.stateId, mlx4.state, mlx4.physStateId, mlx4.rate], [4, 'ACTIVE', 5, 5000000000]);
  assert.ok(mlx4.counters.size > 0);
});

test('parseState and parseRate follow procfs', () => {
  assert.deepEqual(parseState('4: ACTIVE\n', 'state'), [4, 'ACTIVE']);
  assert.throws(() => parseState('ACTIVE', 'state'), /ID: NAME/);
  assert.equal(parseRate('100 Gb/sec (4X EDR)\n', 'rate'), 12500000000);
  assert.equal(parseRate('2.5 Gb/sec (1X SDR)', 'rate'), 312500000);
  assert.throws(() => parseRate('fast', 'rate'), /failed to split/);
});

const port = 'sys/class/infiniband/mlx9/ports/1';
const portFiles = {
  'sys/class/infiniband/mlx9/fw_ver': '1.0\n',
  [`${port}/link_layer`]: 'InfiniBand\n',
  [`${port}/state`]: '4: ACTIVE\n',
  [`${port}/phys_state`]: '5: LinkUp\n',
  [`${port}/rate`]: '40 Gb/sec (4X QDR)\n',
};

test('per-lane data counters are multiplied by 4 and N/A (no PMA) values are skipped', async () => {
  const root = makeTree({ ...portFiles, [`${port}/counters/port_rcv_data`]: '10\n', [`${port}/counters/symbol_error`]: 'N/A (no PMA)\n' });
  const run = await runCollectors(['infiniband'], treeFlags(root));
  assert.match(run.text, /node_infiniband_port_data_received_bytes_total\{device="mlx9",port="1"\} 40\n/);
  assert.doesNotMatch(run.text, /symbol_error/);
});

test('--collector.infiniband.device-exclude drops matching devices', async () => {
  const root = makeTree(portFiles);
  const run = await runCollectors(['infiniband'], [...treeFlags(root), '--collector.infiniband.device-exclude=^mlx']);
  assert.equal(run.success.get('infiniband'), 1);
  assert.equal(run.byName.has('node_infiniband_info'), false);
});

test('infiniband emits nothing without /sys/class/infiniband', async () => {
  const run = await runOnEmptyTree('infiniband');
  assert.equal(run.success.get('infiniband'), 0);
});

test('a garbled port state fails only infiniband', async () => {
  await assertFailsAlone('infiniband', { ...portFiles, [`${port}/state`]: 'ACTIVE\n' });
});

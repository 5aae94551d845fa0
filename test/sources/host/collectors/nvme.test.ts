import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E } from '../../../helpers/host.ts';
import { readNvmeClass } from '../../../../src/sources/host/sysfs/nvme.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('nvme matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('nvme');
});

test('readNvmeClass reads devices and their namespaces', async () => {
  assert.deepEqual(await readNvmeClass(FIXTURE_SYS), [
    {
      name: 'nvme0',
      firmwareRevision: '1B2QEXP7',
      model: 'Samsung SSD 970 PRO 512GB',
      serial: 'S680HF8N190894I',
      state: 'live',
      controllerId: '1997',
      namespaces: [{ id: '1', anaState: 'optimized', usedBytes: 2e12, sizeBytes: 1.6e13, capacityBytes: 1.6e13, logicalBlockSize: 4096 }],
    },
  ]);
});

test('nvme emits nothing without /sys/class/nvme', async () => {
  const run = await runOnEmptyTree('nvme');
  assert.equal(run.success.get('nvme'), 0);
});

test('a truncated nvme device (no model file) fails only nvme', async () => {
  const d = 'sys/class/nvme/nvme0';
  await assertFailsAlone('nvme', {
    [`${d}/firmware_rev`]: 'X\n',
    [`${d}/model/x`]: '',
    [`${d}/serial`]: 'S\n',
    [`${d}/state`]: 'live\n',
    [`${d}/cntlid`]: '1\n',
  });
});

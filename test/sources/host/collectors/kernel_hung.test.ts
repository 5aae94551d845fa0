import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E } from '../../../helpers/host.ts';
import { readHungTaskDetectCount } from '../../../../src/sources/host/procfs/kernel_hung.ts';
import { FIXTURE_PROC } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('kernel_hung matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('kernel_hung');
});

test('readHungTaskDetectCount reads the counter', async () => {
  assert.equal(await readHungTaskDetectCount(FIXTURE_PROC), 42);
});

test('kernel_hung emits nothing on a kernel without hung_task_detect_count', async () => {
  const run = await runOnEmptyTree('kernel_hung');
  assert.equal(run.success.get('kernel_hung'), 0);
  assert.equal(run.byName.has('node_kernel_hung_tasks_total'), false);
});

test('a garbled hung_task_detect_count fails only kernel_hung', async () => {
  await assertFailsAlone('kernel_hung', { 'proc/sys/kernel/hung_task_detect_count': '4x2\n' });
});

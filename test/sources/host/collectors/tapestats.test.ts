import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { readScsiTapes } from '../../../../src/sources/host/sysfs/scsi-tape.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('tapestats matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('tapestats');
});

test('readScsiTapes reads only the stN devices', async () => {
  const tapes = await readScsiTapes(FIXTURE_SYS);
  assert.deepEqual(
    tapes.map((t) => t.name),
    ['st0'],
  );
  assert.equal(tapes[0]!.counters.ioNs, 9247011087720);
  assert.equal(tapes[0]!.counters.inFlight, 1);
});

test('--collector.tapestats.ignored-devices drops matching tapes', async () => {
  const root = makeTree({ 'sys/class/scsi_tape/st0/stats/read_cnt': '3\n', 'sys/class/scsi_tape/st1/stats/read_cnt': '0x10\n' });
  const run = await runCollectors(['tapestats'], [...treeFlags(root), '--collector.tapestats.ignored-devices=^st0$']);
  assert.match(run.text, /node_tape_reads_completed_total\{device="st1"\} 16\n/);
  assert.doesNotMatch(run.text, /device="st0"/);
});

test('tapestats emits nothing without /sys/class/scsi_tape', async () => {
  const run = await runOnEmptyTree('tapestats');
  assert.equal(run.success.get('tapestats'), 0);
});

test('a garbled tape counter fails only tapestats', async () => {
  await assertFailsAlone('tapestats', { 'sys/class/scsi_tape/st0/stats/io_ns': '12 34\n' });
});

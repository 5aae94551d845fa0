import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseFileNr } from '../../../../src/sources/host/procfs/file-nr.ts';

test('filefd matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('filefd');
});

test('parseFileNr takes the first and third tab-separated values', () => {
  assert.deepEqual(parseFileNr('1024\t0\t1631329\n'), { allocated: 1024, maximum: 1631329 });
  assert.throws(() => parseFileNr('1024 0 1631329\n'), /3 tab-separated values/);
});

test('a truncated file-nr fails only the filefd collector', async () => {
  const root = makeTree({ 'proc/sys/fs/file-nr': '1024\t0\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['filefd', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('filefd'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_filefd_allocated'), undefined);
});

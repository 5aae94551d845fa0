import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseDrbd } from '../../../../src/sources/host/procfs/drbd.ts';

test('drbd matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('drbd');
});

test('parseDrbd attributes key:value words to the last device marker ; words that are not one key:value pair are skipped', () => {
  const fields = parseDrbd('version: 8.4.3 (api:1/proto:86-101)\n 1: cs:Connected ro:Primary/Secondary\n 2: ns:5\n');
  assert.deepEqual(fields, [
    { device: 'unknown', key: 'version', value: '' },
    { device: 'drbd1', key: 'cs', value: 'Connected' },
    { device: 'drbd1', key: 'ro', value: 'Primary/Secondary' },
    { device: 'drbd2', key: 'ns', value: '5' },
  ]);
});

test('no /proc/drbd means no data; a garbled one fails only the drbd collector', async () => {
  const absent = makeTree({ 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const none = await runCollectors(['drbd', 'loadavg'], treeFlags(absent));
  assert.equal(none.success.get('drbd'), 0);
  assert.equal(none.byName.get('node_drbd_connected'), undefined);
  const root = makeTree({ 'proc/drbd': ' 1: cs:Connected ro:Primary\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['drbd', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('drbd'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  const bad = makeTree({ 'proc/drbd': ' 1: ns:lots\n' });
  assert.equal((await runCollectors(['drbd'], treeFlags(bad))).success.get('drbd'), 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, expectedFamiliesOf, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseKstatTable, parseZpoolIo, parseZpoolObjset, parseZpoolState, readZfsKstats } from '../../../../src/sources/host/procfs/zfs.ts';
import { FIXTURE_PROC } from '../../../helpers/fixtures.ts';

const LOADAVG = { 'proc/loadavg': '0.02 0.04 0.05 1/497 11947\n' };
const KSTAT = 'proc/spl/kstat/zfs';

test('zfs matches node_exporter on the fixtures (every kstat family)', async () => {
  const run = await assertMatchesE2E('zfs');
  assert.equal(expectedFamiliesOf('zfs').length, 278);
  assert.ok(run.byName.has('node_zfs_fm_erpt_dropped'), 'dashes in kstat names become underscores');
});

test('parseKstatTable keeps int64 and uint64 rows after the header and skips other types', () => {
  const text = '6 1 0x01 91 4368 5266997922 97951858082072\nname type data\nhits 4 12\ndelta 3 -5\nlabel 7 some text\nshort 4\n';
  assert.deepEqual(parseKstatTable(text, 'arcstats'), [
    { name: 'hits', value: 12 },
    { name: 'delta', value: -5 },
  ]);
  assert.throws(() => parseKstatTable('hits 4 12\n', '/k/arcstats'), /\/k\/arcstats: no "name type data" header/);
  assert.throws(() => parseKstatTable('name type data\nhits 4 1x\n', 'arcstats'), /arcstats hits: expected an unsigned integer/);
  assert.throws(() => parseKstatTable('name type data\nhits 4 -1\n', 'arcstats'), /unsigned integer, got "-1"/);
});

test('parseZpoolIo pairs the header fields with the row of values', () => {
  const values = parseZpoolIo(fixtureText(`${KSTAT}/pool1/io`), 'io');
  assert.equal(values.length, 12);
  assert.deepEqual(values[0], { name: 'nread', value: 1884160 });
  assert.deepEqual(values[11], { name: 'rcnt', value: 0 });
  assert.throws(
    () => parseZpoolIo('nread nwritten reads writes wtime wlentime wupdate rtime rlentime rupdate wcnt rcnt\n1 2 3\n', '/k/p/io'),
    /\/k\/p\/io: 3 values for 12 fields/,
  );
});

test('parseZpoolObjset keeps dataset names with spaces and labels rows by dataset', () => {
  const values = parseZpoolObjset(fixtureText(`${KSTAT}/pool3/objset-2`), 'objset-2');
  assert.deepEqual(values[0], { name: 'writes', value: 4, dataset: 'pool3/dataset with  space' });
  assert.equal(values.length, 6);
});

test('parseZpoolState lower-cases the first line', () => {
  assert.equal(parseZpoolState('DEGRADED\n'), 'degraded');
  assert.equal(parseZpoolState(''), '');
});

test('readZfsKstats reads the tables present and every pool file', async () => {
  const k = (await readZfsKstats(FIXTURE_PROC, ['arcstats', 'zil', 'no_such_table']))!;
  assert.deepEqual([...k.tables.keys()], ['arcstats', 'zil']);
  assert.deepEqual(
    k.poolIo.map((p) => p.pool),
    ['pool1', 'pool3', 'poolz1'],
  );
  assert.deepEqual(
    k.objsets.map((o) => o.pool),
    ['pool1', 'pool1', 'pool3', 'pool3', 'poolz1', 'poolz1'],
  );
  assert.deepEqual(k.poolStates, [
    { pool: 'pool1', state: 'online' },
    { pool: 'pool2', state: 'suspended' },
    { pool: 'pool3', state: 'online' },
    { pool: 'poolz1', state: 'degraded' },
  ]);
});

test('without /proc/spl/kstat/zfs the zfs collector emits nothing and reports failure, as node_exporter', async () => {
  const run = await runCollectors(['zfs', 'loadavg'], treeFlags(makeTree(LOADAVG)));
  assert.equal(run.success.get('zfs'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.ok(![...run.byName.keys()].some((n) => n.startsWith('node_zfs_')));
});

test('a ZFS without pools or newer tables still gives the tables it has', async () => {
  const root = makeTree({ [`${KSTAT}/zil`]: fixtureText(`${KSTAT}/zil`) });
  const run = await runCollectors(['zfs'], treeFlags(root));
  assert.equal(run.success.get('zfs'), 1);
  assert.equal(run.byName.get('node_zfs_zil_zil_commit_count')?.samples[0]?.value, 10);
  assert.equal(run.byName.get('node_zfs_zpool_state'), undefined);
});

for (const [what, mangle] of [
  ['truncated before its header', (t: string) => t.slice(0, t.indexOf('\n') + 1)],
  ['with a garbled value', (t: string) => t.replace(/anon_size(\s+4\s+)\d+/, 'anon_size$11917x')],
] as const) {
  test(`an arcstats ${what} fails only the zfs collector`, async () => {
    const root = makeTree({ [`${KSTAT}/arcstats`]: mangle(fixtureText(`${KSTAT}/arcstats`)), ...LOADAVG });
    const run = await runCollectors(['zfs', 'loadavg'], treeFlags(root));
    assert.equal(run.success.get('zfs'), 0);
    assert.equal(run.success.get('loadavg'), 1);
    assert.ok(![...run.byName.keys()].some((n) => n.startsWith('node_zfs_')));
  });
}

test('a garbled pool io file fails only the zfs collector', async () => {
  const root = makeTree({ [`${KSTAT}/pool1/io`]: fixtureText(`${KSTAT}/pool1/io`).replace('1884160', 'garbage'), ...LOADAVG });
  const run = await runCollectors(['zfs', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('zfs'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseOsRelease } from '../../../../src/sources/host/procfs/os-release.ts';
import { majorMinor } from '../../../../src/sources/host/collectors/os.ts';

test('os matches node_exporter on the fixtures (usr/lib/os-release under --path.rootfs)', async () => {
  await assertMatchesE2E('os');
});

test('parseOsRelease reads values as go-envparse does: quotes, escapes, comments, export', () => {
  const vars = parseOsRelease(
    '# comment\nNAME="Debian \\"GNU\\"/Linux"\nexport ID=debian # trailing comment\nPRETTY_NAME=\'a $b\'\n\nVERSION_ID="12"\nMIXED=a"b c"\'d\'\nEMPTY=\nUNI="caf\\u00e9"\n',
  );
  assert.deepEqual(Object.fromEntries(vars), {
    NAME: 'Debian "GNU"/Linux',
    ID: 'debian',
    PRETTY_NAME: 'a $b',
    VERSION_ID: '12',
    MIXED: 'ab cd',
    EMPTY: '',
    UNI: 'café',
  });
  assert.throws(() => parseOsRelease('NAME="unterminated\n'), /:1: unterminated double quote/);
  assert.throws(() => parseOsRelease('ID=x\njust words\n'), /:2: missing = separator/);
  assert.throws(() => parseOsRelease('1D=x\n'), /invalid key/);
  assert.throws(() => parseOsRelease('ID="\\q"\n'), /invalid escape sequence/);
});

test('majorMinor keeps the leading major.minor of VERSION_ID', () => {
  assert.equal(majorMinor('20.04'), 20.04);
  assert.equal(majorMinor('12'), 12);
  assert.equal(majorMinor('3.18.4'), 3.18);
  assert.equal(majorMinor('rolling'), 0);
});

test('etc/os-release wins over usr/lib/os-release; SUPPORT_END becomes a timestamp; no version without VERSION_ID', async () => {
  const root = makeTree({ 'etc/os-release': 'NAME=Arch\nID=arch\nSUPPORT_END=2030-06-30\n', 'usr/lib/os-release': 'NAME=Other\n' });
  const run = await runCollectors(['os'], treeFlags(root));
  assert.equal(run.success.get('os'), 1);
  assert.equal(run.byName.get('node_os_info')!.samples[0]!.labels['name'], 'Arch');
  assert.equal(run.byName.get('node_os_version'), undefined);
  assert.equal(run.byName.get('node_os_support_end_timestamp_seconds')!.samples[0]!.value, Date.UTC(2030, 5, 30) / 1000);
});

test('no os-release file is no data', async () => {
  const run = await runCollectors(['os'], treeFlags(makeTree({})));
  assert.equal(run.success.get('os'), 0);
});

test('a garbled os-release fails only the os collector', async () => {
  const root = makeTree({ 'etc/os-release': 'NAME="Debian\nID=debian\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['os', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('os'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_os_info'), undefined);
});

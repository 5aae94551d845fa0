import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { runCollectors } from '../../../helpers/host.ts';
import { readUname } from '../../../../src/sources/host/procfs/uname.ts';

const uname = (flag: string): string => execFileSync('uname', [flag], { encoding: 'utf8' }).replace(/\n$/, '');

// uname is disabled in node_exporter's e2e run: compare with the real system instead.
test('uname agrees with uname(1) and /proc/sys/kernel on this machine', async () => {
  const run = await runCollectors(['uname']);
  assert.equal(run.success.get('uname'), 1);
  const family = run.byName.get('node_uname_info')!;
  assert.equal(family.help, 'Labeled system information as provided by the uname system call.');
  assert.equal(family.type, 'gauge');
  assert.equal(family.samples.length, 1);
  assert.deepEqual(family.samples[0]!.labels, {
    sysname: uname('-s'),
    release: uname('-r'),
    version: uname('-v'),
    machine: uname('-m'),
    nodename: uname('-n'),
    domainname: readFileSync('/proc/sys/kernel/domainname', 'utf8').trim(),
  });
  assert.equal(family.samples[0]!.value, 1);
});

test('readUname fails with the file when the domain name cannot be read', async () => {
  await assert.rejects(readUname('/nonexistent/kernel'), /\/nonexistent\/kernel\/domainname/);
});

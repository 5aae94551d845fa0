import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E } from '../../../helpers/host.ts';
import { readWatchdogClass } from '../../../../src/sources/host/sysfs/watchdog.ts';
import { parseGoInt } from '../../../../src/sources/host/kernel-files/parse.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { assertFailsAlone, runOnEmptyTree } from '../isolation.ts';

test('watchdog matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('watchdog');
});

test('readWatchdogClass reads present attributes and leaves absent ones out', async () => {
  assert.deepEqual(await readWatchdogClass(FIXTURE_SYS), [
    {
      name: 'watchdog0',
      bootstatus: 1,
      fwVersion: 2,
      nowayout: 0,
      timeleft: 300,
      timeout: 60,
      pretimeout: 120,
      accessCs0: 0,
      options: '0x8380',
      identity: 'Software Watchdog',
      state: 'active',
      status: '0x8000',
      pretimeoutGovernor: 'noop',
    },
    { name: 'watchdog1' },
  ]);
});

test('parseGoInt follows strconv base 0', () => {
  assert.equal(parseGoInt('0x10', 'x'), 16);
  assert.equal(parseGoInt('010', 'x'), 8);
  assert.equal(parseGoInt('0b101', 'x'), 5);
  assert.equal(parseGoInt('-1_000', 'x'), -1000);
  assert.throws(() => parseGoInt('-1', 'x', true), /expected an integer/);
  assert.throws(() => parseGoInt('09', 'x'), /expected an integer/);
  assert.throws(() => parseGoInt('1__0', 'x'), /expected an integer/);
});

test('watchdog emits nothing without /sys/class/watchdog', async () => {
  const run = await runOnEmptyTree('watchdog');
  assert.equal(run.success.get('watchdog'), 0);
});

test('a garbled watchdog timeout fails only watchdog', async () => {
  await assertFailsAlone('watchdog', { 'sys/class/watchdog/watchdog0/timeout': 'sixty\n' });
});

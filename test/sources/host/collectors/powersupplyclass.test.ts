import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, makeTree, runCollectors, runOnFixtures, treeFlags } from '../../../helpers/host.ts';
import { FIXTURE_SYS } from '../../../helpers/fixtures.ts';
import { readPowerSupplies } from '../../../../src/sources/host/sysfs/power-supply.ts';

test('powersupplyclass matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('powersupplyclass');
});

test('readPowerSupplies keeps numbers and texts apart', async () => {
  const [ac, bat] = await readPowerSupplies(FIXTURE_SYS);
  assert.equal(ac!.name, 'AC');
  assert.equal(ac!.numbers.get('online'), 0);
  assert.equal(bat!.numbers.get('energy_now'), 36580000);
  assert.equal(bat!.text.get('status'), 'Discharging');
});

test('--collector.powersupply.ignored-supplies drops a supply', async () => {
  const run = await runOnFixtures(['powersupplyclass'], ['--collector.powersupply.ignored-supplies=^BAT']);
  assert.deepEqual(
    run.byName.get('node_power_supply_info')!.samples.map((s) => s.labels['power_supply']),
    ['AC'],
  );
});

test('no power_supply class is "no data"; a garbled numeric attribute fails only powersupplyclass', async () => {
  const none = await runCollectors(['powersupplyclass'], treeFlags(makeTree({})));
  assert.equal(none.success.get('powersupplyclass'), 0);
  const root = makeTree({
    'sys/class/power_supply/BAT0/capacity': '8x1\n',
    'sys/class/power_supply/BAT0/type': 'Battery\n',
    'proc/loadavg': '0.1 0.2 0.3 1/2 3\n',
  });
  const run = await runCollectors(['powersupplyclass', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('powersupplyclass'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_power_supply_info'), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { assertMatchesE2E, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { abbreviationAt, localZone, parseTzif, posixTzAbbreviations, zoneFile } from '../../../../src/sources/host/procfs/timezone.ts';

test('time matches node_exporter on the fixtures (clocksources; time and zone are filtered by the e2e test)', async () => {
  const run = await assertMatchesE2E('time');
  const now = run.byName.get('node_time_seconds')!.samples[0]!.value;
  assert.ok(Math.abs(now - Date.now() / 1000) < 60, `node_time_seconds ${now} is now`);
  const zone = run.byName.get('node_time_zone_offset_seconds')!.samples[0]!;
  assert.equal(zone.value, -new Date().getTimezoneOffset() * 60);
  assert.match(zone.labels['time_zone']!, /^\S+$/);
});

test("the zone abbreviation is Go's: from the TZif file of TZ or /etc/localtime", {
  skip: !existsSync('/usr/share/zoneinfo/Europe/Berlin') && 'no tzdata',
}, () => {
  const berlin = parseTzif(readFileSync('/usr/share/zoneinfo/Europe/Berlin'));
  assert.equal(abbreviationAt(berlin, Date.UTC(2030, 0, 15) / 1000, 3600), 'CET');
  assert.equal(abbreviationAt(berlin, Date.UTC(2030, 6, 15) / 1000, 7200), 'CEST');
  assert.equal(abbreviationAt(berlin, Date.UTC(2020, 6, 15) / 1000, 7200), 'CEST');
  assert.equal(localZone(new Date(), 'UTC').name, 'UTC');
  assert.equal(localZone(new Date(), '').name, 'UTC');
});

test('zoneFile and POSIX TZ footers', () => {
  assert.equal(zoneFile(undefined), '/etc/localtime');
  assert.equal(zoneFile(':Europe/Paris'), '/usr/share/zoneinfo/Europe/Paris');
  assert.equal(zoneFile('/tmp/zone'), '/tmp/zone');
  assert.equal(zoneFile(''), undefined);
  assert.deepEqual(posixTzAbbreviations('CET-1CEST,M3.5.0,M10.5.0/3'), { std: 'CET', dst: 'CEST' });
  assert.deepEqual(posixTzAbbreviations('<+0530>-5:30'), { std: '+0530' });
});

test('a clocksource without current_clocksource fails only the time collector', async () => {
  const root = makeTree({ 'sys/devices/system/clocksource/clocksource0/available_clocksource': 'tsc hpet\n', 'proc/loadavg': '0.1 0.2 0.3 1/2 3\n' });
  const run = await runCollectors(['time', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('time'), 0);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.byName.get('node_time_seconds'), undefined);
});

test('without clocksources in sysfs the time collector still gives the time', async () => {
  const run = await runCollectors(['time'], treeFlags(makeTree({})));
  assert.equal(run.success.get('time'), 1);
  assert.ok(run.byName.get('node_time_seconds'));
  assert.equal(run.byName.get('node_time_clocksource_current_info'), undefined);
});

test("without a readable zone file the runtime's name is used, from one Intl formatter made once (not one per cycle)", (t) => {
  const made: unknown[] = [];
  const Original = Intl.DateTimeFormat;
  t.mock.method(Intl, 'DateTimeFormat', function (this: unknown, ...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
    made.push(args);
    return new Original(...args);
  });
  const expected = new Original('en-US', { timeZoneName: 'short' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value;
  for (let i = 0; i < 3; i++) assert.equal(localZone(new Date(), '/nonexistent/zoneinfo/Zone').name, expected);
  assert.ok(made.length <= 1, `${made.length} formatters made for 3 cycles`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseText } from '../../../../src/model/text-parser.ts';
import { setLogSink } from '../../../../src/log.ts';
import { ADDON_ENV, resetNativeAddon } from '../../../../src/sources/host/machinery/native.ts';
import { runCollectors } from '../../../helpers/host.ts';
import { cliEnv, runCli } from '../../../helpers/cli.ts';

test('without the native addon only timex, tcpstat, qdisc and wifi fail, with one log line for every collection', async () => {
  const previousEnv = process.env[ADDON_ENV];
  const logs: string[] = [];
  const previousSink = setLogSink((line) => logs.push(line));
  process.env[ADDON_ENV] = '/nonexistent/edgepush-test.node';
  resetNativeAddon();
  try {
    for (let round = 0; round < 2; round++) {
      const run = await runCollectors(['timex', 'tcpstat', 'qdisc', 'wifi', 'loadavg']);
      assert.equal(run.success.get('timex'), 0);
      assert.equal(run.success.get('tcpstat'), 0);
      assert.equal(run.success.get('qdisc'), 0);
      assert.equal(run.success.get('wifi'), 0);
      assert.equal(run.success.get('loadavg'), 1);
    }
  } finally {
    setLogSink(previousSink);
    if (previousEnv === undefined) delete process.env[ADDON_ENV];
    else process.env[ADDON_ENV] = previousEnv;
    resetNativeAddon();
  }
  assert.equal(logs.length, 1, logs.join(''));
  assert.match(
    logs[0]!,
    /level=warn msg="native addon not loaded: the timex, tcpstat, qdisc and wifi collectors report no data[^"]*".*\/nonexistent\/edgepush-test\.node/,
  );
});

test('edgepush once without the native addon prints every other collector and says why timex is missing, once', async () => {
  const result = await runCli(['once', '--collector.tcpstat'], { env: { ...cliEnv(), [ADDON_ENV]: '/nonexistent/edgepush-test.node' } });
  assert.equal(result.code, 0, result.stderr);
  // Other collectors may log about this machine (e.g. no udev database); only the native part's lines count here.
  const lines = result.stderr.split('\n').filter((l) => /native|collector=(timex|tcpstat)/.test(l));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /native addon not loaded/);
  const success = parseText(result.stdout).find((f) => f.name === 'node_scrape_collector_success')!;
  const failed = success.samples.filter((s) => s.value === 0).map((s) => s.labels['collector']);
  assert.ok(failed.includes('timex') && failed.includes('tcpstat'), failed.join(','));
  assert.ok(success.samples.some((s) => s.labels['collector'] === 'cpu' && s.value === 1));
});

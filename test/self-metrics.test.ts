import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressSpaceLimit, SelfMetrics } from '../src/self-metrics.ts';
import { encodeText } from '../src/model/text-encoder.ts';
import { parseText } from '../src/model/text-parser.ts';
import { VERSION } from '../src/version.ts';

test('self metrics convert to families the strict parser accepts', async () => {
  const m = new SelfMetrics();
  m.cycleDuration.observe(0.02);
  m.sinkPushes.inc({ sink: 'pushgateway.a', result: 'success' });
  const families = await m.families();
  const names = families.map((f) => f.name);
  assert.ok(names.includes('edgepush_build_info'));
  assert.ok(names.includes('process_resident_memory_bytes'));
  assert.ok(!names.some((n) => n.startsWith('nodejs_')));
  const text = encodeText(families);
  const parsed = parseText(text);
  assert.equal(parsed.length, families.filter((f) => f.samples.length > 0).length);
  assert.match(text, new RegExp(`edgepush_build_info\\{commit="[^"]*",nodejs="${process.version}",version="${VERSION}"\\} 1`));
  assert.match(text, /edgepush_cycle_duration_seconds_bucket\{le="0.025"\} 1/);
  assert.match(text, /edgepush_cycle_duration_seconds_bucket\{le="\+Inf"\} 1/);
});

test("process_virtual_memory_max_bytes is the soft address-space limit, unlimited as 2^64-1 like Go's client", () => {
  const limits = (soft: string): string =>
    `Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\nMax address space         ${soft}            unlimited            bytes\n`;
  // biome-ignore lint/correctness/noPrecisionLoss: the float Go's client reports for unlimited (2^64-1 rounds to 2^64)
  assert.equal(addressSpaceLimit(limits('unlimited')), 18446744073709551615);
  assert.equal(addressSpaceLimit(limits('1073741824')), 1073741824);
  assert.ok(Number.isNaN(addressSpaceLimit('Limit Soft Limit\n')));
});

test('self metrics collect only what is pushed: no nodejs_* collector (the event-loop-lag one wakes the process every 10 ms)', async () => {
  const m = new SelfMetrics();
  const registered = (await m.registry.getMetricsAsJSON()).map((metric) => metric.name);
  assert.deepEqual(
    registered.filter((n) => !n.startsWith('edgepush_') && !n.startsWith('process_')),
    [],
  );
  for (const n of ['process_cpu_seconds_total', 'process_start_time_seconds', 'process_resident_memory_bytes', 'process_open_fds', 'process_max_fds'])
    assert.ok(registered.includes(n), n);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLLECTORS } from '../../../../src/sources/host/machinery/registry.ts';
import { CollectorRunner } from '../../../../src/sources/host/machinery/collector-runner.ts';
import { DEFAULT_HOST_PATHS } from '../../../../src/sources/host/machinery/collector.ts';
import { timexFamilies } from '../../../../src/sources/host/collectors/timex.ts';
import type { Timex } from '../../../../src/sources/host/machinery/native.ts';
import { encodeText } from '../../../../src/model/text-encoder.ts';
import { missingPeers } from '../../../helpers/servers.ts';
import { scrapeBoth, labelNames } from '../../../conformance/live-scrape.ts';
import { nativeAddonSkip } from '../native-skip.ts';

const STRUCT: Timex = {
  state: 0,
  offset: -1500,
  freq: 655360,
  maxerror: 250000,
  esterror: 1000,
  status: 0x2001,
  constant: 7,
  precision: 1,
  tolerance: 32768000,
  tick: 10000,
  ppsfreq: -131072,
  jitter: 2500,
  shift: 4,
  stabil: 65536,
  jitcnt: 1,
  calcnt: 2,
  errcnt: 3,
  stbcnt: 4,
  tai: 37,
};

function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  assert.ok(line, `${name} missing`);
  return Number(line.split(' ')[1]);
}

test('timex scales the kernel struct as node_exporter does: ppm with a 16-bit fraction, microseconds, or nanoseconds under STA_NANO', () => {
  const nano = encodeText(timexFamilies(STRUCT));
  assert.equal(value(nano, 'node_timex_sync_status'), 1);
  assert.equal(value(nano, 'node_timex_offset_seconds'), -1.5e-6);
  assert.equal(value(nano, 'node_timex_pps_jitter_seconds'), 2.5e-6);
  assert.equal(value(nano, 'node_timex_frequency_adjustment_ratio'), 1.00001);
  assert.equal(value(nano, 'node_timex_pps_frequency_hertz'), -2e-6);
  assert.equal(value(nano, 'node_timex_pps_stability_hertz'), 1e-6);
  assert.equal(value(nano, 'node_timex_maxerror_seconds'), 0.25);
  assert.equal(value(nano, 'node_timex_estimated_error_seconds'), 0.001);
  assert.equal(value(nano, 'node_timex_tick_seconds'), 0.01);
  assert.equal(value(nano, 'node_timex_status'), 0x2001);
  assert.equal(value(nano, 'node_timex_loop_time_constant'), 7);
  assert.equal(value(nano, 'node_timex_pps_shift_seconds'), 4);
  assert.equal(value(nano, 'node_timex_pps_stability_exceeded_total'), 4);
  assert.equal(value(nano, 'node_timex_tai_offset_seconds'), 37);

  const micro = encodeText(timexFamilies({ ...STRUCT, status: 0x0001, state: 5 }));
  assert.equal(value(micro, 'node_timex_sync_status'), 0, 'TIME_ERROR is not synchronised');
  assert.equal(value(micro, 'node_timex_offset_seconds'), -0.0015);
  assert.equal(value(micro, 'node_timex_pps_jitter_seconds'), 0.0025);
});

/** What may change between node_exporter's read and ours a few milliseconds apart (maxerror grows by 500 µs a second). */
const MOVING_TOLERANCE: Record<string, number> = {
  node_timex_offset_seconds: 1e-3,
  node_timex_frequency_adjustment_ratio: 1e-6,
  node_timex_maxerror_seconds: 0.05,
  node_timex_estimated_error_seconds: 0.05,
};

const skip = nativeAddonSkip() ?? missingPeers('nodeExporter');

test('timex agrees with the live node_exporter: the same families, HELP, TYPE, and values within what moves between two reads', { skip }, async () => {
  const flags = ['--collector.disable-defaults', '--collector.timex'];
  const { theirs, ours } = await scrapeBoth(flags, new CollectorRunner(COLLECTORS, { paths: DEFAULT_HOST_PATHS, enabled: new Set(['timex']) }));
  const wanted = [...theirs.keys()].filter((n) => n.startsWith('node_timex_')).sort();
  assert.ok(wanted.length >= 17, `node_exporter emitted only ${wanted.join(', ')}`);
  assert.deepEqual([...ours.keys()].filter((n) => n.startsWith('node_timex_')).sort(), wanted);
  for (const name of wanted) {
    const got = ours.get(name)!;
    const want = theirs.get(name)!;
    assert.equal(got.help, want.help, name);
    assert.equal(got.type, want.type, name);
    assert.equal(labelNames(got), labelNames(want), name);
    const difference = Math.abs(got.samples[0]!.value - want.samples[0]!.value);
    assert.ok(difference <= (MOVING_TOLERANCE[name] ?? 0), `${name}: edgepush ${got.samples[0]!.value}, node_exporter ${want.samples[0]!.value}`);
  }
  assert.equal(ours.get('node_scrape_collector_success')?.samples[0]?.value, 1);
});

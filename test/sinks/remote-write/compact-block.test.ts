import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBlock, encodeBlock, type Cycle } from '../../../src/sinks/remote-write/compact-block.ts';
import { encodeWriteRequest, type TimeSeries } from '../../../src/sinks/remote-write/protobuf.ts';

/** The bits of a double: NaN payloads and -0 included, which deepEqual would not tell apart. */
function bits(v: number): string {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleLE(v);
  return b.toString('hex');
}

function assertSameCycles(got: Cycle[], want: Cycle[]): void {
  assert.deepEqual(got, want);
  for (let c = 0; c < want.length; c++) {
    for (let g = 0; g < want[c]!.groups.length; g++) {
      const w = want[c]!.groups[g]!.series;
      const r = got[c]!.groups[g]!.series;
      // The request each group becomes is byte for byte the one the original makes.
      assert.ok(encodeWriteRequest(r).equals(encodeWriteRequest(w)), `cycle ${c} group ${g}: same WriteRequest`);
      w.forEach((ts, i) =>
        ts.samples.forEach((s, k) => !s.stale && assert.equal(bits(r[i]!.samples[k]!.value), bits(s.value), `cycle ${c} series ${i} sample ${k}`)),
      );
    }
  }
}

const labels = (name: string, extra: Record<string, string> = {}): Array<readonly [string, string]> =>
  Object.entries({ __name__: name, instance: 'box-1', job: 'node', ...extra }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

test('a block of cycles decodes to exactly what was encoded: special values, stale markers, irregular timestamps, series coming and going', () => {
  const special = [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    1.7976931348623157e308,
    5e-324,
    -2.2250738585072014e-308,
    1e-300,
    0.1,
    -123.456,
    2 ** 53 - 1,
    -(2 ** 53) + 1,
    2 ** 53,
    3.5e15,
  ];
  const cycles: Cycle[] = [];
  const t0 = 1_700_000_000_000;
  for (let c = 0; c < 12; c++) {
    // Mostly 15 s apart, with jitter and one long gap.
    const at = t0 + c * 15_000 + (c % 3) * 7 - (c === 5 ? 4_000 : 0) + (c >= 9 ? 600_000 : 0);
    const host: TimeSeries[] = [
      { labels: labels('node_cpu_seconds_total', { cpu: '0', mode: 'idle' }), samples: [{ value: 1_000_000 + c * 1500 + (c % 2), timestampMs: at }] },
      { labels: labels('node_load1'), samples: [{ value: 0.25 + c / 100, timestampMs: at }] },
      { labels: labels('node_special'), samples: [{ value: special[c % special.length]!, timestampMs: at }] },
      { labels: labels('node_special2'), samples: [{ value: special[(c + 7) % special.length]!, timestampMs: at }] },
      { labels: labels('node_const'), samples: [{ value: 42, timestampMs: at }] },
      { labels: labels('node_negative_counter'), samples: [{ value: -5 * c, timestampMs: at }] },
    ];
    // A series that exists only in some cycles, one with UTF-8 labels, and its stale marker after it goes.
    if (c % 4 !== 3) host.push({ labels: labels('node_flappy', { device: 'sdä/ü€' }), samples: [{ value: c, timestampMs: at }] });
    else host.push({ labels: labels('node_flappy', { device: 'sdä/ü€' }), samples: [{ value: Number.NaN, timestampMs: at, stale: true }] });
    if (c >= 6) host.push({ labels: labels('node_new_later'), samples: [{ value: c * 1e-9, timestampMs: at }] });
    // An exporter with its own timestamps (before, after, far from the cycle's) and several samples in a series.
    const exporter: TimeSeries[] = [
      {
        labels: labels('app_requests_total', { job: 'app' }),
        samples: [
          { value: 10 * c, timestampMs: at - 30_000 - c },
          { value: 10 * c + 1, timestampMs: at + 1 },
        ],
      },
      { labels: labels('app_temperature', { job: 'app' }), samples: [{ value: 20 + Math.sin(c), timestampMs: 1 + c }] },
    ];
    cycles.push({
      createdMs: at,
      groups: [
        { collectedAtMs: at, series: host },
        { collectedAtMs: at + 3 + c, series: exporter },
      ],
    });
  }
  // A cycle of nothing but the stale markers of a removed source, and an empty group.
  cycles.push({
    createdMs: t0 + 900_000,
    groups: [
      {
        collectedAtMs: t0 + 900_000,
        series: [{ labels: labels('app_temperature', { job: 'app' }), samples: [{ value: Number.NaN, timestampMs: t0 + 900_000, stale: true }] }],
      },
      { collectedAtMs: t0 + 900_000, series: [] },
    ],
  });
  assertSameCycles(decodeBlock(encodeBlock(cycles)), cycles);
  // One cycle alone, and cycles timestamped before 1970.
  assertSameCycles(decodeBlock(encodeBlock(cycles.slice(4, 5))), cycles.slice(4, 5));
  const early: Cycle[] = [
    { createdMs: -86_400_000, groups: [{ collectedAtMs: -86_400_000, series: [{ labels: labels('m'), samples: [{ value: 1, timestampMs: -86_400_001 }] }] }] },
  ];
  assertSameCycles(decodeBlock(encodeBlock(early)), early);
});

test('random walks of every kind of value round-trip bit for bit (seeded)', () => {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const randomBits = (): number => {
    u32[0] = Math.floor(rand() * 2 ** 32);
    u32[1] = Math.floor(rand() * 2 ** 32);
    return f64[0]!;
  };
  const series = Array.from({ length: 40 }, (_, i) => labels('walk', { i: String(i) }));
  const values = series.map(() => 0);
  const cycles: Cycle[] = [];
  for (let c = 0; c < 30; c++) {
    const at = 1_600_000_000_000 + c * 10_000 + Math.floor(rand() * 50);
    const present = series.map((l, i) => ({ l, i })).filter(() => rand() > 0.1);
    const out: TimeSeries[] = present.map(({ l, i }) => {
      const kind = i % 5;
      values[i] =
        kind === 0
          ? values[i]! + Math.floor(rand() * 1000)
          : kind === 1
            ? values[i]! + (rand() - 0.5)
            : kind === 2
              ? randomBits()
              : kind === 3
                ? rand() < 0.5
                  ? values[i]!
                  : rand() * 1e6
                : -Math.floor(rand() * 2 ** 52);
      return rand() < 0.05
        ? { labels: l, samples: [{ value: Number.NaN, timestampMs: at, stale: true }] }
        : { labels: l, samples: [{ value: values[i]!, timestampMs: at + Math.floor(rand() * 3) - 1 }] };
    });
    cycles.push({ createdMs: at, groups: [{ collectedAtMs: at, series: out }] });
  }
  assertSameCycles(decodeBlock(encodeBlock(cycles)), cycles);
});

test('steady host-like data takes a couple of bytes per sample, most of it the label dictionary', () => {
  const cycles: Cycle[] = [];
  const series = Array.from({ length: 500 }, (_, i) => labels(`node_metric_${i % 50}`, { device: `dev${Math.floor(i / 50)}` }));
  for (let c = 0; c < 20; c++) {
    const at = 1_700_000_000_000 + c * 15_000;
    cycles.push({
      createdMs: at,
      groups: [
        {
          collectedAtMs: at,
          series: series.map((l, i) => ({
            labels: l,
            samples: [{ value: i % 3 === 0 ? 1000 * i + c * 17 : i % 3 === 1 ? i : i + (c % 4) * 0.25, timestampMs: at }],
          })),
        },
      ],
    });
  }
  const perSample = encodeBlock(cycles).length / (20 * 500);
  assert.ok(perSample < 3, `${perSample.toFixed(2)} bytes per sample`);
});

test('a block that does not decode throws instead of returning made-up cycles', () => {
  const at = 1_700_000_000_000;
  const block = encodeBlock([{ createdMs: at, groups: [{ collectedAtMs: at, series: [{ labels: labels('m'), samples: [{ value: 1, timestampMs: at }] }] }] }]);
  assert.throws(() => decodeBlock(block.subarray(0, block.length - 3)));
  assert.throws(() => decodeBlock(Buffer.concat([Buffer.from([9]), block.subarray(1)])), /codec/);
  assert.throws(() => decodeBlock(Buffer.alloc(0)));
});

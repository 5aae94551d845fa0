import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { encodeWriteRequest, type TimeSeries } from '../../../src/sinks/remote-write/protobuf.ts';
import { snappyCompress, snappyUncompress } from '../../../src/sinks/remote-write/snappy.ts';

// prompb's messages as Prometheus defines them (remote write 1.0), for an independent decoder.
const PROMPB = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message RawSample { fixed64 value = 1; int64 timestamp = 2; }
message RawSeries { repeated Label labels = 1; repeated RawSample samples = 2; }
message RawRequest { repeated RawSeries timeseries = 1; }
`;
const root = protobuf.parse(PROMPB).root;
const WriteRequest = root.lookupType('prometheus.WriteRequest');
const RawRequest = root.lookupType('prometheus.RawRequest');

interface Decoded {
  timeseries: Array<{ labels: Array<{ name: string; value: string }>; samples: Array<{ value: number; timestamp: number }> }>;
}

function decode(body: Buffer): Decoded {
  return WriteRequest.toObject(WriteRequest.decode(body), { longs: Number, defaults: true }) as Decoded;
}

test('a WriteRequest decodes with protobufjs to the same series, labels and samples', () => {
  const series: TimeSeries[] = [
    {
      labels: [
        ['__name__', 'node_load1'],
        ['instance', 'box-1'],
        ['job', 'node'],
      ],
      samples: [{ value: 0.21, timestampMs: 1_764_200_000_123 }],
    },
    {
      labels: [
        ['__name__', 'x'],
        ['path', '/ä/ö — ✓'],
        ['z', 'a'.repeat(300)],
      ],
      samples: [
        { value: -1.5e300, timestampMs: 1 },
        { value: Number.POSITIVE_INFINITY, timestampMs: 2 ** 52 },
        { value: 0, timestampMs: 0 },
      ],
    },
  ];
  const got = decode(encodeWriteRequest(series));
  assert.deepEqual(got, {
    timeseries: [
      {
        labels: [
          { name: '__name__', value: 'node_load1' },
          { name: 'instance', value: 'box-1' },
          { name: 'job', value: 'node' },
        ],
        samples: [{ value: 0.21, timestamp: 1_764_200_000_123 }],
      },
      {
        labels: [
          { name: '__name__', value: 'x' },
          { name: 'path', value: '/ä/ö — ✓' },
          { name: 'z', value: 'a'.repeat(300) },
        ],
        samples: [
          { value: -1.5e300, timestamp: 1 },
          { value: Number.POSITIVE_INFINITY, timestamp: 2 ** 52 },
          { value: 0, timestamp: 0 },
        ],
      },
    ],
  });
});

test('negative timestamps use the ten-byte two-complement varint', () => {
  const got = decode(encodeWriteRequest([{ labels: [['__name__', 'old']], samples: [{ value: 1, timestampMs: -1000 }] }]));
  assert.equal(got.timeseries[0]!.samples[0]!.timestamp, -1000);
});

test('stale markers carry exactly the bits of Prometheus StaleNaN 0x7ff0000000000002', () => {
  const body = encodeWriteRequest([
    {
      labels: [['__name__', 'gone']],
      samples: [
        { value: 42, timestampMs: 5, stale: true },
        { value: Number.NaN, timestampMs: 6 },
      ],
    },
  ]);
  const raw = RawRequest.toObject(RawRequest.decode(body), { longs: String }) as { timeseries: Array<{ samples: Array<{ value: string }> }> };
  assert.equal(BigInt(raw.timeseries[0]!.samples[0]!.value), 0x7ff0000000000002n);
  // An ordinary NaN is not the stale marker.
  assert.notEqual(BigInt(raw.timeseries[0]!.samples[1]!.value), 0x7ff0000000000002n);
});

test('an empty request encodes to zero bytes, as protobuf says', () => {
  assert.equal(encodeWriteRequest([]).length, 0);
});

test('snappy block compression round-trips and shrinks repetitive protobuf', () => {
  const series: TimeSeries[] = Array.from({ length: 1000 }, (_, i) => ({
    labels: [
      ['__name__', 'node_cpu_seconds_total'],
      ['cpu', String(i % 8)],
      ['instance', 'box-1'],
      ['job', 'node'],
      ['mode', 'idle'],
    ],
    samples: [{ value: i * 1.5, timestampMs: 1_764_200_000_000 }],
  }));
  const body = encodeWriteRequest(series);
  const compressed = snappyCompress(body);
  assert.ok(compressed.length < body.length / 3, `compressed ${compressed.length} of ${body.length}`);
  assert.deepEqual(snappyUncompress(compressed), body);
  assert.equal(decode(snappyUncompress(compressed)).timeseries.length, 1000);
});

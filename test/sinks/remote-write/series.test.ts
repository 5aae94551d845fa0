import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readExposition } from '../../../src/model/exposition-reader.ts';
import type { Labels, MetricFamily } from '../../../src/model/family.ts';
import { withTargetLabels } from '../../../src/model/target-labels.ts';
import { encodeWriteRequest, encodedSeriesSize } from '../../../src/sinks/remote-write/protobuf.ts';
import { countSamples, familiesToSeries, seriesLabels, splitIntoBatches } from '../../../src/sinks/remote-write/series.ts';
import { StalenessTracker } from '../../../src/sinks/remote-write/staleness.ts';

const families: MetricFamily[] = [
  {
    name: 'http_requests_total',
    type: 'counter',
    samples: [
      { name: 'http_requests_total', labels: { method: 'GET', job: 'own', empty: '' }, value: 3 },
      { name: 'http_requests_total', labels: { method: 'POST' }, value: 1, timestampMs: 1000 },
    ],
  },
];

test('series get __name__, the target labels over their own (kept as exported_*), sorted, empty values left out, collection timestamp', () => {
  const series = familiesToSeries(families, { job: 'app', instance: 'box' }, 5000);
  assert.deepEqual(series, [
    {
      labels: [
        ['__name__', 'http_requests_total'],
        ['exported_job', 'own'],
        ['instance', 'box'],
        ['job', 'app'],
        ['method', 'GET'],
      ],
      samples: [{ value: 3, timestampMs: 5000 }],
    },
    {
      labels: [
        ['__name__', 'http_requests_total'],
        ['instance', 'box'],
        ['job', 'app'],
        ['method', 'POST'],
      ],
      samples: [{ value: 1, timestampMs: 1000 }],
    },
  ]);
});

test('batches respect the sample and byte bounds and keep order', () => {
  const many = familiesToSeries(
    [{ name: 'm', type: 'gauge', samples: Array.from({ length: 25 }, (_, i) => ({ name: 'm', labels: { i: String(i) }, value: i })) }],
    { job: 'j' },
    1,
  );
  const bySamples = splitIntoBatches(many, { maxSamples: 10, maxBytes: 1 << 20 });
  assert.deepEqual(
    bySamples.map((b) => b.length),
    [10, 10, 5],
  );
  assert.deepEqual(bySamples.flat(), many);
  const one = encodedSeriesSize(many[0]!);
  const byBytes = splitIntoBatches(many, { maxSamples: 1000, maxBytes: one * 4 + 1 });
  assert.ok(byBytes.every((b) => encodeWriteRequest(b).length <= one * 4 + 1 + 4));
  assert.equal(countSamples(byBytes.flat()), 25);
  // A series larger than the byte bound still goes, alone.
  assert.deepEqual(
    splitIntoBatches(many.slice(0, 2), { maxSamples: 10, maxBytes: 1 }).map((b) => b.length),
    [1, 1],
  );
});

test('staleness: a series that disappears, and all series of a forgotten source, get stale markers', () => {
  const tracker = new StalenessTracker();
  const a = familiesToSeries(families, { job: 'app' }, 1);
  assert.deepEqual(tracker.observe('app', a, 1), []);
  const stale = tracker.observe('app', a.slice(0, 1), 2);
  assert.equal(stale.length, 1);
  assert.deepEqual(stale[0]!.labels, a[1]!.labels);
  assert.deepEqual(stale[0]!.samples, [{ value: Number.NaN, timestampMs: 2, stale: true }]);
  assert.deepEqual(tracker.observe('app', a.slice(0, 1), 3), []);
  const gone = tracker.forget('app', 4);
  assert.deepEqual(
    gone.map((s) => s.labels),
    [a[0]!.labels],
  );
  assert.deepEqual(tracker.forget('app', 5), []);
});

test('staleness keeps a series by labels of its own, not slices that keep the whole parsed body alive', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const tracker = new StalenessTracker();
  // Each cycle's body a new window of text; one series of it new each cycle, kept for as long as it lives.
  let body = '';
  for (let i = 0; i < 400; i++) body += `filler_metric_with_a_long_name{some_label="value number ${i} of the window"} ${i}\n`;
  let kept = '';
  const cycle = (c: number): void => {
    kept += `kept{id="a series that comes in cycle ${c} and stays"} 1\n`;
    const parsed = readExposition(Buffer.from(body + kept)).families;
    tracker.observe('src', familiesToSeries(parsed, { job: 'j' }, c), c);
  };
  cycle(0); // the code compiled, the body's series kept
  gc();
  const before = process.memoryUsage().heapUsed;
  const cycles = 100;
  for (let c = 1; c <= cycles; c++) cycle(c);
  gc();
  // A kept slice would keep its ~36 KB window: one per cycle.
  const perCycle = (process.memoryUsage().heapUsed - before) / cycles;
  assert.ok(perCycle < 16 * 1024, `${perCycle.toFixed(0)} bytes of heap kept per cycle`);
});

test('a sample label equal to its target label is still kept as exported_*, as the Pushgateway path and Prometheus do', () => {
  assert.deepEqual(seriesLabels('m', { job: 'app', path: '/' }, { job: 'app', instance: 'box' }), [
    ['__name__', 'm'],
    ['exported_job', 'app'],
    ['instance', 'box'],
    ['job', 'app'],
    ['path', '/'],
  ]);
});

/** The rule stated plainly: target labels over the sample's own (kept as exported_*), __name__, no empty values, sorted. */
function referenceLabels(name: string, labels: Labels, target: Labels): Array<[string, string]> {
  const merged = withTargetLabels(labels, target);
  merged['__name__'] = name;
  return Object.keys(merged)
    .sort()
    .filter((k) => merged[k] !== '')
    .map((k) => [k, merged[k]!]);
}

test('seriesLabels gives what the plain rule gives for every mix of own, target, clashing, __name__ and empty labels', () => {
  const names = ['job', 'instance', 'exported_job', '__name__', 'le', 'a', 'zone', 'path'];
  const values = ['', 'x', 'app', 'box'];
  let s = 7;
  const next = (n: number): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor((s / 2147483648) * n);
  };
  const pick = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (let i = next(6); i > 0; i--) out[names[next(names.length)]!] = values[next(values.length)]!;
    return out;
  };
  for (let round = 0; round < 2000; round++) {
    const labels = pick();
    const target = pick();
    delete target['__name__'];
    assert.deepEqual(seriesLabels('m', labels, target), referenceLabels('m', labels, target), JSON.stringify({ labels, target }));
  }
});

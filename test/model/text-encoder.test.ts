import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeText } from '../../src/model/text-encoder.ts';
import { parseText } from '../../src/model/text-parser.ts';
import { FamilySet, type MetricFamily } from '../../src/model/family.ts';

test('families are sorted by name, series by label values, empty families dropped', () => {
  const set = new FamilySet();
  set.gauge('b_metric', 'B.', 2, { device: 'sdb' });
  set.gauge('b_metric', 'B.', 1, { device: 'sda' });
  set.counter('a_total', 'A.', 3);
  set.family('c_empty', 'nothing', 'gauge');
  assert.equal(
    encodeText(set.toArray()),
    '# HELP a_total A.\n# TYPE a_total counter\na_total 3\n' +
      '# HELP b_metric B.\n# TYPE b_metric gauge\nb_metric{device="sda"} 1\nb_metric{device="sdb"} 2\n',
  );
});

test('label values and HELP are escaped as client_golang does; label names sorted', () => {
  const f: MetricFamily = {
    name: 'x',
    help: 'a \\ b\nc "quoted"',
    type: 'untyped',
    samples: [{ name: 'x', labels: { z: 'v', a: 'back\\slash "q"\nnl' }, value: 1.5 }],
  };
  assert.equal(encodeText([f]), '# HELP x a \\\\ b\\nc "quoted"\n# TYPE x untyped\nx{a="back\\\\slash \\"q\\"\\nnl",z="v"} 1.5\n');
});

test('no HELP line when the family has none; timestamps only when asked', () => {
  const f: MetricFamily = { name: 'x', type: 'gauge', samples: [{ name: 'x', labels: {}, value: 1, timestampMs: 1700000000123 }] };
  assert.equal(encodeText([f]), '# TYPE x gauge\nx 1\n');
  assert.equal(encodeText([f], { timestamps: true }), '# TYPE x gauge\nx 1 1700000000123\n');
});

test('histograms keep buckets in le order, then _sum and _count, le last among labels', () => {
  const f: MetricFamily = {
    name: 'h',
    help: 'H.',
    type: 'histogram',
    samples: [
      { name: 'h_count', labels: { path: '/b' }, value: 2 },
      { name: 'h_bucket', labels: { le: '+Inf', path: '/b' }, value: 2 },
      { name: 'h_sum', labels: { path: '/b' }, value: 0.5 },
      { name: 'h_bucket', labels: { path: '/b', le: '0.1' }, value: 1 },
      { name: 'h_bucket', labels: { le: '+Inf', path: '/a' }, value: 0 },
      { name: 'h_sum', labels: { path: '/a' }, value: 0 },
      { name: 'h_count', labels: { path: '/a' }, value: 0 },
    ],
  };
  assert.equal(
    encodeText([f]),
    '# HELP h H.\n# TYPE h histogram\n' +
      'h_bucket{path="/a",le="+Inf"} 0\nh_sum{path="/a"} 0\nh_count{path="/a"} 0\n' +
      'h_bucket{path="/b",le="0.1"} 1\nh_bucket{path="/b",le="+Inf"} 2\nh_sum{path="/b"} 0.5\nh_count{path="/b"} 2\n',
  );
});

test('series with fewer labels sort first, as client_golang sorts inconsistent label sets', () => {
  const f: MetricFamily = {
    name: 'x',
    type: 'untyped',
    samples: [
      { name: 'x', labels: { a: '1', b: '2' }, value: 2 },
      { name: 'x', labels: { a: '9' }, value: 1 },
    ],
  };
  assert.equal(encodeText([f]), '# TYPE x untyped\nx{a="9"} 1\nx{a="1",b="2"} 2\n');
});

test("a histogram's series are grouped however its samples come, and keep their place by their first sample", () => {
  const f: MetricFamily = {
    name: 'h',
    type: 'histogram',
    samples: [
      { name: 'h_bucket', labels: { path: '/b', le: '1' }, value: 1 },
      { name: 'h_bucket', labels: { le: '+Inf', path: '/a' }, value: 5 },
      { name: 'h_count', labels: { path: '/b' }, value: 2 },
      { name: 'h_sum', labels: { path: '/a' }, value: 0.5 },
      { name: 'h_bucket', labels: { le: '+Inf', path: '/b' }, value: 2 },
      { name: 'h_bucket', labels: { le: '0.5', path: '/a' }, value: 4 },
      { name: 'h_count', labels: { path: '/a' }, value: 5 },
      { name: 'h_sum', labels: { path: '/b' }, value: 1.5 },
    ],
  };
  assert.equal(
    encodeText([f]),
    '# TYPE h histogram\n' +
      'h_bucket{path="/a",le="0.5"} 4\nh_bucket{path="/a",le="+Inf"} 5\nh_sum{path="/a"} 0.5\nh_count{path="/a"} 5\n' +
      'h_bucket{path="/b",le="1"} 1\nh_bucket{path="/b",le="+Inf"} 2\nh_sum{path="/b"} 1.5\nh_count{path="/b"} 2\n',
  );
});

test('le and quantile go last among the labels of any family, not only where they are the inner label', () => {
  const f: MetricFamily = {
    name: 'g',
    type: 'gauge',
    samples: [
      { name: 'g', labels: { quantile: 'q', z: '1', le: 'l', a: '2' }, value: 1 },
      { name: 'g', labels: { a: '1' }, value: 2 },
    ],
  };
  assert.equal(encodeText([f]), '# TYPE g gauge\ng{a="1"} 2\ng{a="2",z="1",le="l",quantile="q"} 1\n');
  const h: MetricFamily = { name: 'h', type: 'histogram', samples: [{ name: 'h_bucket', labels: { quantile: 'q', le: '1', b: 'x' }, value: 1 }] };
  assert.equal(encodeText([h]), '# TYPE h histogram\nh_bucket{b="x",le="1",quantile="q"} 1\n');
});

test('FamilySet refuses a family emitted with two types', () => {
  const set = new FamilySet();
  set.gauge('x', 'X', 1);
  assert.throws(() => set.counter('x', 'X', 1), /emitted as counter after gauge/);
});

test('samples that come sorted are written as they come, the same as in any other order (random families)', () => {
  // A small deterministic generator: label sets drawn from a few names (not always all of them) and
  // values that sort differently as text than as numbers, each label set once per family.
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const names = ['a', 'b', 'le', 'quantile', 'zz'];
  const values = ['', '0', '1', '10', '2', 'a b', 'A', 'é', 'x"y', 'z\\n'];
  for (let round = 0; round < 300; round++) {
    const uniform = random(2) === 0;
    const own = names.filter(() => random(2) === 0);
    const seen = new Set<string>();
    const samples: MetricFamily['samples'] = [];
    for (let i = random(12); i >= 0; i--) {
      const labels: Record<string, string> = {};
      for (const n of uniform ? own : names.filter(() => random(2) === 0)) labels[n] = values[random(values.length)]!;
      const key = JSON.stringify(Object.entries(labels).sort());
      if (seen.has(key)) continue;
      seen.add(key);
      samples.push({ name: 'm', labels, value: random(100) });
    }
    const type = (['gauge', 'counter', 'untyped'] as const)[random(3)]!;
    const text = encodeText([{ name: 'm', help: 'M.', type, samples }]);
    // Parsed back, the samples come in the order written: encoded again, they are written as they come.
    assert.equal(encodeText(parseText(text)), text, `round ${round}`);
    assert.equal(encodeText([{ name: 'm', help: 'M.', type, samples: [...samples].reverse() }]), text, `round ${round}, reversed`);
  }
});

test('samples of a family with other label names, or the same labels twice, are still ordered as client_golang orders them', () => {
  // Same number of labels, other names: {b,zz} after {a,b} is not "in order" even though b's value is greater.
  const mixed: MetricFamily = {
    name: 'm',
    type: 'gauge',
    samples: [
      { name: 'm', labels: { a: '0', b: 'x' }, value: 1 },
      { name: 'm', labels: { b: 'y', zz: 'q' }, value: 2 },
    ],
  };
  assert.equal(encodeText([mixed]), '# TYPE m gauge\nm{a="0",b="x"} 1\nm{b="y",zz="q"} 2\n');
  // One label set twice (an exporter's own timestamps): the earlier timestamp first.
  const twice: MetricFamily = {
    name: 'm',
    type: 'gauge',
    samples: [
      { name: 'm', labels: { a: '1' }, value: 2, timestampMs: 200 },
      { name: 'm', labels: { a: '1' }, value: 1, timestampMs: 100 },
    ],
  };
  assert.equal(encodeText([twice], { timestamps: true }), '# TYPE m gauge\nm{a="1"} 1 100\nm{a="1"} 2 200\n');
});

test("a family's HELP and TYPE lines follow its HELP text and type from one encoding to the next", () => {
  const family = (help: string | undefined, type: MetricFamily['type']): MetricFamily[] => [
    { name: 'same_name', ...(help === undefined ? {} : { help }), type, samples: [{ name: 'same_name', labels: {}, value: 1 }] },
  ];
  assert.equal(encodeText(family('First.', 'gauge')), '# HELP same_name First.\n# TYPE same_name gauge\nsame_name 1\n');
  assert.equal(encodeText(family('First.', 'gauge')), '# HELP same_name First.\n# TYPE same_name gauge\nsame_name 1\n');
  assert.equal(encodeText(family('Second.', 'gauge')), '# HELP same_name Second.\n# TYPE same_name gauge\nsame_name 1\n');
  assert.equal(encodeText(family('Second.', 'untyped')), '# HELP same_name Second.\n# TYPE same_name untyped\nsame_name 1\n');
  assert.equal(encodeText(family(undefined, 'untyped')), '# TYPE same_name untyped\nsame_name 1\n');
  assert.equal(encodeText(family('', 'untyped')), '# HELP same_name \n# TYPE same_name untyped\nsame_name 1\n');
});

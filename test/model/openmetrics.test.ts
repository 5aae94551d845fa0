import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMetricsToText, parseOpenMetrics } from '../../src/model/openmetrics.ts';
import { encodeText } from '../../src/model/text-encoder.ts';
import { TextParseError } from '../../src/model/text-parser.ts';

const OM = `# HELP requests Requests "served".
# TYPE requests counter
# UNIT requests requests
requests_total{path="/a"} 10 # {trace_id="abc"} 1 1700000000.5
requests_created{path="/a"} 1700000000
# TYPE build info
build_info{version="1.2"} 1
# TYPE temp gauge
temp 21.5 1700000000.25
# TYPE lat histogram
lat_bucket{le="0.1"} 1
lat_bucket{le="+Inf"} 2
lat_sum 0.3
lat_count 2
lat_created 1700000000
# TYPE state stateset
state{state="a"} 1
state{state="b"} 0
# TYPE q gaugehistogram
q_bucket{le="1"} 3
q_bucket{le="+Inf"} 4
q_gcount 4
q_gsum 2
# TYPE mystery unknown
mystery 3
# EOF
`;

test('OpenMetrics converts to text the Pushgateway accepts', () => {
  const families = parseOpenMetrics(OM);
  const byName = new Map(families.map((f) => [f.name, f]));
  assert.equal(byName.get('requests_total')?.type, 'counter');
  assert.equal(byName.get('requests_total')?.help, 'Requests "served".');
  assert.equal(byName.get('requests_total')?.samples.length, 1, '_created dropped');
  assert.equal(byName.get('build_info')?.type, 'gauge');
  assert.equal(byName.get('temp')?.samples[0]?.timestampMs, 1700000000250);
  assert.deepEqual(
    byName.get('lat')?.samples.map((s) => s.name),
    ['lat_bucket', 'lat_bucket', 'lat_sum', 'lat_count'],
  );
  assert.equal(byName.get('state')?.type, 'gauge');
  assert.equal(byName.get('q_gcount')?.type, 'untyped');
  assert.equal(byName.get('mystery')?.type, 'untyped');
  assert.ok(!families.some((f) => f.name.endsWith('_created')));
  // And it re-encodes to valid text.
  const text = encodeText(families);
  assert.match(text, /^requests_total\{path="\/a"\} 10$/m);
});

test('a truncated OpenMetrics body (no # EOF) is refused', () => {
  assert.throws(() => openMetricsToText('# TYPE a gauge\na 1\n'), TextParseError);
  assert.throws(() => openMetricsToText('a 1\n# EOF\nb 2\n'), /after "# EOF"/);
});

test('label values with " # " and braces survive exemplar stripping', () => {
  const f = parseOpenMetrics('# TYPE x gauge\nx{a="q # {b} }"} 1 # {t="1"} 2\n# EOF\n');
  assert.deepEqual(f[0]?.samples[0]?.labels, { a: 'q # {b} }' });
  assert.equal(f[0]?.samples[0]?.value, 1);
});

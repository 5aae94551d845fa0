import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LimitExceededError, metadataFields, parseText, TextParseError, type ParseOptions } from '../../src/model/text-parser.ts';
import { encodeText } from '../../src/model/text-encoder.ts';

const good = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000
# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
spaced {a="b"} NaN
`;

test('parses the text format example with escapes, timestamps, summaries and histograms', () => {
  const families = parseText(good);
  const names = families.map((f) => f.name);
  assert.deepEqual(names, [
    'http_requests_total',
    'msdos_file_access_time_seconds',
    'metric_without_timestamp_and_labels',
    'rpc_duration_seconds',
    'http_request_duration_seconds',
    'spaced',
  ]);
  const req = families[0]!;
  assert.equal(req.type, 'counter');
  assert.equal(req.help, 'The total number of HTTP requests.');
  assert.deepEqual(req.samples[1], { name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3, timestampMs: 1395066363000 });
  assert.equal(families[1]!.samples[0]!.labels['path'], 'C:\\DIR\\FILE.TXT');
  assert.equal(families[1]!.samples[0]!.labels['error'], 'Cannot find file:\n"FILE.TXT"');
  assert.equal(families[4]!.samples.length, 4);
  assert.ok(Number.isNaN(families[5]!.samples[0]!.value));
});

test('round-trips the encoder output', () => {
  const once = encodeText(parseText(good), { timestamps: true });
  assert.equal(encodeText(parseText(once), { timestamps: true }), once);
});

function rejects(text: string, line: number, pattern: RegExp): void {
  assert.throws(
    () => parseText(text),
    (err: unknown) => {
      assert.ok(err instanceof TextParseError, `expected TextParseError, got ${String(err)}`);
      assert.equal(err.line, line, `line of ${err.message}`);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

test('HELP escapes: \\\\ and \\n anywhere, any number; any other escape refused', () => {
  const help = (text: string): string | undefined => parseText(`# HELP a ${text}\na 1\n`)[0]!.help;
  assert.equal(help('plain text'), 'plain text');
  assert.equal(help('\\\\'), '\\');
  assert.equal(help('one\\ntwo\\\\three\\n'), 'one\ntwo\\three\n');
  assert.equal(help('\\\\n'), '\\n');
  rejects('# HELP a x\\ty\n', 1, /invalid escape sequence "\\\\t" in HELP/);
  rejects('# HELP a x\\\n', 1, /invalid escape sequence "\\\\" in HELP/);
});

test('distinct series are not taken for duplicates: the key from the line text tells every label value apart', () => {
  const families = parseText('a{x="1",y="2"} 1\na{x="1",y="3"} 1\na{x="1"} 1\na{x="12"} 1\na{xy="1"} 1\na{x="1\\\\"} 1\na{x="1\\n"} 1\na 1\n');
  assert.equal(families[0]!.samples.length, 8);
});

test('rejects what the Pushgateway rejects, naming the line', () => {
  rejects('a 1', 1, /no trailing newline/);
  rejects('a 1\r\n', 1, /carriage return/);
  rejects('# HELP a x\n# HELP a y\na 1\n', 2, /second HELP/);
  rejects('# TYPE a gauge\n# TYPE a counter\n', 2, /second TYPE/);
  rejects('a 1\n# TYPE a gauge\n', 2, /TYPE line for a after its samples/);
  rejects('a{x="1"} 1\na{x="1"} 2\n', 2, /duplicate series/);
  // The series key is the line's own text when written as exporters write it: every other way of writing the series must meet it.
  rejects('a{x="1",y="2"} 1\na{y="2",x="1"} 2\n', 2, /duplicate series/);
  rejects('a{y="2",x="1"} 1\na{x="1",y="2"} 2\n', 2, /duplicate series/);
  rejects('a{x="1"} 1\na{ x = "1" } 2\n', 2, /duplicate series/);
  rejects('a{x="1"} 1\na{x="1",} 2\n', 2, /duplicate series/);
  rejects('a{x="1",} 1\na {x="1"} 2\n', 2, /duplicate series/);
  rejects('a{x="1"} 1\na{x="1"}\t2\n', 2, /duplicate series/);
  rejects('a{x="1",y="2"} 1\na{x="1" ,y="2"} 2\n', 2, /duplicate series/);
  rejects('a{x="q\\"\\\\\\n",y=""} 1\na{y="", x="q\\"\\\\\\n"} 2\n', 2, /duplicate series/);
  rejects('a 1\na{} 2\n', 2, /duplicate series/);
  rejects('a 1\nb 1\na{x="2"} 1\n', 3, /whose block ended earlier/);
  rejects('a{x="1",x="2"} 1\n', 1, /duplicate or reserved label name x/);
  rejects('a{x="\\t"} 1\n', 1, /invalid escape/);
  rejects('a{x="1"} one\n', 1, /invalid value "one"/);
  rejects('a{x="1} 1\n', 1, /unterminated|expected/);
  rejects('1a 1\n', 1, /invalid metric name/);
  rejects('a{1x="1"} 1\n', 1, /invalid label name/);
  rejects('a 1 2 3\n', 1, /unexpected text/);
  rejects('a 1 1.5\n', 1, /invalid timestamp/);
  rejects('# TYPE a histogram\na_bucket 1\n', 2, /numeric "le"/);
  rejects('# TYPE a nonsense\n', 1, /unknown metric type/);
  rejects('a\n', 1, /missing value/);
});

test('rejectTimestamps refuses timestamped samples', () => {
  assert.throws(() => parseText('a 1 123\n', { rejectTimestamps: true }), /timestamp/);
  assert.equal(parseText('').length, 0);
});

test('expfmtLenient accepts a family continued after another block and repeated series, as expfmt does', () => {
  const text = '# TYPE a gauge\na{x="1"} 1\nb 2\na{x="2"} 3\na{x="2"} 4\n# HELP b late help\n';
  rejects(text, 4, /whose block ended earlier/);
  const families = parseText(text, { expfmtLenient: true });
  assert.deepEqual(
    families.map((f) => [f.name, f.type, f.samples.map((s) => s.value)]),
    [
      ['a', 'gauge', [1, 3, 4]],
      ['b', 'untyped', [2]],
    ],
  );
  assert.equal(families[1]!.help, 'late help');
  assert.throws(() => parseText('a 1\nb 1\n# TYPE a gauge\n', { expfmtLenient: true }), /TYPE line for a after its samples/);
});

test('parsed samples stay small in memory: label values are slices, not one cons string per character', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const n = 20_000;
  let text = '# TYPE big gauge\n';
  for (let i = 0; i < n; i++) text += `big{instance_id="i-${i.toString(16).padStart(8, '0')}",path="/var/lib/some/long/path/${i}",kind="k${i % 7}"} ${i}\n`;
  text = Buffer.from(text).toString(); // one flat string, as a response body is
  gc();
  const before = process.memoryUsage().heapUsed;
  const families = parseText(text);
  gc();
  const perSeries = (process.memoryUsage().heapUsed - before) / n;
  assert.equal(families[0]!.samples.length, n);
  // ~250 bytes measured; appending label values character by character took ~790.
  assert.ok(perSeries < 450, `${perSeries.toFixed(0)} bytes of heap per parsed series`);
});

function exceeds(text: string, options: ParseOptions, key: string, pattern: RegExp): void {
  assert.throws(
    () => parseText(text, options),
    (err: unknown) => {
      assert.ok(err instanceof LimitExceededError, `expected LimitExceededError, got ${String(err)}`);
      assert.equal(err.reason, key);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

test('sample and label limits, as Prometheus applies them (0: none)', () => {
  const three = 'a{x="1"} 1\na{x="2"} 1\nb 1\n';
  assert.equal(parseText(three, { limits: { sampleLimit: 3 } }).length, 2);
  assert.equal(parseText(three, { limits: { sampleLimit: 0 } }).length, 2);
  exceeds(three, { limits: { sampleLimit: 2 } }, 'sample_limit', /^sample_limit exceeded: more than 2 samples/);
  exceeds('# TYPE a gauge\n# TYPE b gauge\n# TYPE c gauge\n', { limits: { sampleLimit: 2 } }, 'sample_limit', /more than 2 metric families/);

  const labelled = 'a{x="1",yy="2"} 1\nb{x="ü"} 1\n';
  assert.equal(parseText(labelled, { limits: { labelLimit: 2, labelNameLengthLimit: 2, labelValueLengthLimit: 2 } }).length, 2);
  exceeds(labelled, { limits: { labelLimit: 1 } }, 'label_limit', /a has 2 labels, more than 1/);
  exceeds(labelled, { limits: { labelNameLengthLimit: 1 } }, 'label_name_length_limit', /label name yy of a is 2 bytes long, more than 1/);
  exceeds(labelled, { limits: { labelValueLengthLimit: 1 } }, 'label_value_length_limit', /the value of label x of b is 2 bytes long, more than 1/);
});

test('families dropped by keepFamily are checked for syntax only: not kept, not counted, duplicates allowed', () => {
  const text = '# TYPE big gauge\nbig{x="1"} 1\nbig{x="1"} 2\nbig{x="2"} 3\nsmall 1\n';
  const parser = { limits: { sampleLimit: 1 }, keepFamily: (name: string) => name !== 'big' };
  assert.deepEqual(
    parseText(text, parser).map((f) => f.name),
    ['small'],
  );
  assert.throws(() => parseText('# TYPE big gauge\nbig{x="1} 1\n', parser), /line 2: unterminated/);
});

test('errors quote at most a short excerpt of the input, escaped', () => {
  const long = 'n'.repeat(1_000_000);
  for (const text of [`# HELP ${long}\u0007 x\n`, `${long} 1\n${long} 1\n`, `a{${long}-="1"} 1\n`, `# TYPE a ${long}\u001b\n`, `a{x="1"} 1 2 ${long}\n`]) {
    assert.throws(
      () => parseText(text),
      (err: unknown) => {
        assert.ok(err instanceof TextParseError, String(err));
        assert.ok(err.message.length < 300, `${err.message.length} characters: ${err.message.slice(0, 200)}`);
        assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f]/);
        return true;
      },
    );
  }
});

test('label sets that only look alike are different series', () => {
  // Names and values are kept apart in the series key: x="1",y="2" is not xy="12" nor x="1y",... shifted.
  const families = parseText('a{x="1",y="2"} 1\na{xy="12"} 2\na{x="1y",y=""} 3\na{x="1",y="2\\n"} 4\na{x="1\\\\",y="2"} 5\n');
  assert.equal(families[0]!.samples.length, 5);
});

test('a histogram sample belongs to its family only under its own suffixes', () => {
  const h = '# TYPE h histogram\n';
  assert.equal(parseText(`${h}h_bucket{le="1"} 1\nh_sum 1\nh_count 1\n`)[0]!.samples.length, 3);
  // A bare h or a summary's suffix-less sample starts a family of its own, which the Pushgateway refuses as a second h.
  assert.deepEqual(
    parseText(`${h}h_bucket{le="1"} 1\nh_bucketx 1\n`).map((f) => f.name),
    ['h', 'h_bucketx'],
  );
  assert.deepEqual(
    parseText('# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 1\ns_count 1\ns_total 1\n').map((f) => [f.name, f.samples.length]),
    [
      ['s', 3],
      ['s_total', 1],
    ],
  );
  assert.deepEqual(
    parseText('# TYPE g gauge\ng 1\ng_sum 1\n').map((f) => f.name),
    ['g', 'g_sum'],
  );
});

test('values and timestamps are split at blanks and trimmed as before, whatever the spacing', () => {
  const families = parseText('a \t 1 \t 1700000000000 \t\nb 2\u00a0\nc{x="1"}\t3\n');
  assert.deepEqual(
    families.map((f) => f.samples.map((s) => [s.name, s.value, s.timestampMs])),
    [[['a', 1, 1700000000000]], [['b', 2, undefined]], [['c', 3, undefined]]],
  );
  rejects('a 1 2 x\n', 1, /unexpected text after the value of a: "x"/);
  rejects('a{x="1"}1\n', 1, /expected a space before the value/);
  rejects('a \n', 1, /missing value/);
});

/** The rule metadataFields scans for, as the regexes it replaced. */
function metadataByRegex(line: string): { keyword: string; name: string; rest: string } | undefined {
  const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line) ?? /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)[ \t]*()$/.exec(line);
  return m ? { keyword: m[1]!, name: m[2]!, rest: m[3] ?? '' } : undefined;
}

test('HELP and TYPE lines are split as the regular expressions of the format split them, odd blanks and line terminators included', () => {
  const pieces = ['#', ' ', '\t', 'HELP', 'TYPE', 'HELPX', 'help', 'foo', 'a:b_c', '\u00a0', '\r', '\u2028', '\v', 'text', '\\n', 'é', ''];
  let seed = 5;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  const lines = [
    '# HELP foo some help',
    '#\tTYPE foo counter',
    '# HELP foo',
    '# HELP foo   ',
    '# HELP foo \t x \t',
    '# TYPE',
    '#HELP foo x',
    '# HELP  foo\u00a0x',
  ];
  for (let i = 0; i < 5000; i++) {
    let line = '#';
    for (let j = next(8); j > 0; j--) line += pieces[next(pieces.length)];
    lines.push(line, `# ${['HELP', 'TYPE'][next(2)]} ${line.slice(1)}`);
  }
  for (const line of lines) assert.deepEqual(metadataFields(line), metadataByRegex(line), JSON.stringify(line));
});

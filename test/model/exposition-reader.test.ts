import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpositionReader, readExposition, type ExpositionReaderOptions } from '../../src/model/exposition-reader.ts';
import { encodeText } from '../../src/model/text-encoder.ts';
import { parseOpenMetrics } from '../../src/model/openmetrics.ts';
import { LimitExceededError, parseText, TextParseError } from '../../src/model/text-parser.ts';

const TEXT = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
utf8{city="Zürich ☃ \uFFFD"} 1
`;

const OM = `# HELP requests Requests "served".
# UNIT requests requests
# TYPE requests counter
requests_total{path="/a"} 10 # {trace_id="abc"} 1 1700000000.5
requests_created{path="/a"} 1700000000
# TYPE q gaugehistogram
# HELP q gauge histogram
q_bucket{le="+Inf"} 4
q_gcount 4
# HELP temp Temperature.
# TYPE temp gauge
temp 21.5 1700000000.25
# EOF
`;

/** Feeds `bytes` in pieces of `size` bytes, so lines and UTF-8 sequences are cut anywhere. */
function inPieces(bytes: Buffer, size: number, options: ExpositionReaderOptions = {}) {
  const reader = new ExpositionReader(options);
  for (let i = 0; i < bytes.length; i += size) reader.write(bytes.subarray(i, i + size));
  return reader.end();
}

test('the same families as the whole-string parsers, whatever the chunking', () => {
  const text = encodeText(parseText(TEXT), { timestamps: true });
  const om = encodeText(parseOpenMetrics(OM), { timestamps: true });
  for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
    assert.equal(encodeText(inPieces(Buffer.from(TEXT), size).families, { timestamps: true }), text, `text in ${size}-byte pieces`);
    assert.equal(
      encodeText(inPieces(Buffer.from(OM), size, { format: 'openmetrics' }).families, { timestamps: true }),
      om,
      `OpenMetrics in ${size}-byte pieces`,
    );
  }
  assert.equal(inPieces(Buffer.from(TEXT), 5).samplesScraped, 7);
});

test('a body of many 64 KB windows, ASCII and not, with lines longer than a window: the same families and line numbers', () => {
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) {
    lines.push(
      `# HELP m${i} help ${i % 7 === 0 ? 'für Zürich' : 'plain'}`,
      `# TYPE m${i} gauge`,
      `m${i}{a="${i % 11 === 0 ? 'é'.repeat(i % 5) : 'x'}",b="${i}"} ${i}`,
    );
    if (i % 1500 === 0) lines.push(`long${i}{v="${'y'.repeat(70_000 + i)}"} 1`);
    // Blank lines, some of them the last line of a window that is not ASCII: each still counts.
    if (i % 3 === 0) lines.push('');
  }
  const body = `${lines.join('\n')}\n`;
  const expected = encodeText(parseText(body));
  for (const size of [1000, 65_536, 100_000, body.length]) {
    assert.equal(encodeText(inPieces(Buffer.from(body), size).families), expected, `in ${size}-byte pieces`);
  }
  const broken = `${body}bad{ 1\n`;
  for (const size of [1000, 4096, 65_536, 100_000, broken.length]) {
    assert.throws(
      () => inPieces(Buffer.from(broken), size),
      (err: unknown) => err instanceof TextParseError && err.line === lines.length + 1,
    );
  }
});

test('a last line without its newline is a line, unless the newline is required', () => {
  assert.equal(readExposition(Buffer.from('a 1\nb 2')).families.length, 2);
  assert.throws(() => readExposition(Buffer.from('a 1\nb 2'), { requireFinalNewline: true }), /line 2: unexpected end of input/);
  assert.throws(() => readExposition(Buffer.from('# TYPE a gauge\na 1\n'), { format: 'openmetrics' }), /without "# EOF"/);
});

/** Chunks of a body that never ends, counting how many the reader pulled. */
function* endless(line: (i: number) => string, pulled: { chunks: number }): Generator<Buffer> {
  for (let i = 0; ; i += 1000) {
    pulled.chunks++;
    let chunk = '';
    for (let j = i; j < i + 1000; j++) chunk += line(j);
    yield Buffer.from(chunk);
  }
}

function readUntilFailure(chunks: Iterable<Buffer>, options: ExpositionReaderOptions): Error {
  const reader = new ExpositionReader(options);
  try {
    for (const chunk of chunks) reader.write(chunk);
    reader.end();
  } catch (err) {
    return err as Error;
  }
  assert.fail('the body was accepted');
}

test('sample_limit stops the parse as soon as it is passed, long before the body ends', () => {
  const pulled = { chunks: 0 };
  const err = readUntilFailure(
    endless((i) => `a${i} 0\n`, pulled),
    { limits: { sampleLimit: 5000 } },
  );
  assert.ok(err instanceof LimitExceededError, String(err));
  assert.equal(err.reason, 'sample_limit');
  assert.match(err.message, /^sample_limit exceeded: more than 5000 /);
  assert.equal(pulled.chunks, 6, 'read up to the 5001st family, no further');
});

test('one endless line fails at maxLineBytes with a short message, the rest unread', () => {
  const pulled = { chunks: 0 };
  const err = readUntilFailure(
    endless((i) => (i === 0 ? 'a{x="\u0007\u001b[31m\u009b' : 'y'.repeat(1000)), pulled),
    { maxLineBytes: 1 << 20 },
  );
  assert.ok(err instanceof TextParseError, String(err));
  assert.equal(err.reason, 'line_length');
  assert.equal(err.message, 'line 1: longer than 1048576 bytes (the rest of the body is not read)');
  assert.ok(pulled.chunks <= 2, `${pulled.chunks} chunks of 1 MB pulled`);
});

test('an 8 MB line within the limit still fails cleanly when invalid, with a bounded, escaped excerpt', () => {
  const err = readUntilFailure([Buffer.from(`a{x="1"} 1 2 \u0007\u001b[31m\u009b\u202e${'z'.repeat(8_000_000)}\n`)], {});
  assert.ok(err instanceof TextParseError);
  assert.ok(err.message.length < 1024, `${err.message.length} characters`);
  assert.doesNotMatch(err.message, /[\u0000-\u001f\u007f-\u009f\u202e]/);
  assert.match(err.message, /unexpected text after the value of a: "\\u0007\\u001b\[31m\\u009b\\u202ez+"…/);
});

const bytes = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

test('bytes that are not UTF-8 fail a sample or HELP line, as Prometheus refuses them; comments may hold anything', () => {
  const fails = (body: Buffer, line: number, options: ExpositionReaderOptions = {}): void => {
    assert.throws(
      () => readExposition(body, options),
      (err: unknown) => {
        assert.ok(err instanceof TextParseError, String(err));
        assert.equal(err.reason, 'invalid_utf8');
        assert.equal(err.line, line);
        return true;
      },
    );
  };
  fails(bytes('ok 1\na{x="', [0xff, 0x41], '"} 1\n'), 2);
  fails(bytes('a{x="', [0xe2, 0x98], '"} 1\n'), 1, { format: 'text' }); // a truncated sequence
  fails(bytes('# HELP a h', [0xc0, 0xaf], '\na 1\n'), 1); // an overlong encoding
  fails(bytes('# TYPE a gauge\na{x="', [0xed, 0xa0, 0x80], '"} 1\n# EOF\n'), 2, { format: 'openmetrics' }); // a surrogate
  const ok = readExposition(bytes('# a comment ', [0xff], '\na{x="\uFFFD"} 1\n'));
  assert.equal(ok.families[0]!.samples[0]!.labels['x'], '\uFFFD', 'a real U+FFFD is valid UTF-8');
});

test("expfmt's leniency (the textfile collector): a HELP that is not UTF-8 is read, a label value is not", () => {
  const lenient = { expfmtLenient: true, requireFinalNewline: true };
  assert.equal(readExposition(bytes('# HELP a h', [0xff], '\na 1\n'), lenient).families[0]!.help, 'h\uFFFD');
  assert.throws(() => readExposition(bytes('a{x="', [0xff], '"} 1\n'), lenient), /line 1: invalid UTF-8/);
});

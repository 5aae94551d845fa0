import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { configFromText } from '../../src/config/config.ts';
import { ExporterSource } from '../../src/sources/exporter.ts';
import { SelfMetrics } from '../../src/self-metrics.ts';
import { runSource } from '../../src/sources/source.ts';
import type { SourceResult } from '../../src/model/batch.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
const server = createServer((req, res) => {
  const h = routes.get(req.url ?? '');
  if (h) h(req, res);
  else res.writeHead(404).end('not found\n');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
after(() => new Promise<void>((r) => server.close(() => r())));

const TEXT =
  '# HELP app_requests_total Requests.\n# TYPE app_requests_total counter\napp_requests_total{code="200",job="inner"} 5\n# TYPE go_goroutines gauge\ngo_goroutines 7\n# TYPE up gauge\nup 1\n';
routes.set('/text', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(TEXT));
/** The Accept-Encoding of each request to /gzip, which answers gzip whatever was asked. */
const gzipAsked: string[] = [];
routes.set('/gzip', (req, res) => {
  gzipAsked.push(String(req.headers['accept-encoding']));
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-encoding': 'gzip' }).end(gzipSync(TEXT));
});
routes.set('/om', (req, res) => {
  assert.match(String(req.headers['accept']), /application\/openmetrics-text/);
  res
    .writeHead(200, { 'content-type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' })
    .end('# TYPE hits counter\nhits_total 3\nhits_created 1\n# EOF\n');
});
routes.set('/no-final-newline', (_req, res) => res.writeHead(200).end('# TYPE a gauge\na 1'));
routes.set('/garbage', (_req, res) => res.writeHead(200).end('<html>hello</html>\n'));
routes.set('/dup', (_req, res) => res.writeHead(200).end('a 1\na 2\n'));
routes.set('/huge', (_req, res) => res.writeHead(200).end('# TYPE a gauge\n' + 'a{x="' + 'y'.repeat(5000) + '"} 1\n'));
// No content-length: the limit must hold while streaming, not only against the declared length.
routes.set('/huge-chunked', (_req, res) => {
  res.writeHead(200, { 'transfer-encoding': 'chunked' });
  for (let i = 0; i < 10; i++) res.write('# HELP a ' + 'y'.repeat(1000) + '\n');
  res.end('a 1\n');
});
routes.set('/bomb', (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('a 1\n' + '#'.repeat(200_000) + '\n')));
routes.set('/500', (_req, res) => res.writeHead(500).end('boom\n'));
routes.set('/slow', () => {
  /* never answers */
});

function exporter(pathName: string, extra = '', sizeLimit = '4KiB', metrics?: SelfMetrics): ExporterSource {
  const config = configFromText(`[agent]\ninterval = 5s\ntimeout = 1s\n[exporter.x]\nurl = ${base}${pathName}\nsize_limit = ${sizeLimit}\n${extra}`);
  return new ExporterSource(config.exporters[0]!, metrics);
}

async function scrape(pathName: string, extra = '', sizeLimit?: string, metrics?: SelfMetrics): Promise<SourceResult> {
  const source = exporter(pathName, extra, sizeLimit, metrics);
  try {
    return await runSource(source, new AbortController().signal);
  } finally {
    await source.close();
  }
}

function value(r: SourceResult, name: string, labels: Record<string, string> = {}): number | undefined {
  return r.families.find((f) => f.name === name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

test('text format: families, synthetic up/duration/samples, exporter up dropped', async () => {
  const r = await scrape('/text');
  assert.equal(r.up, true, r.error);
  assert.equal(value(r, 'up'), 1);
  assert.equal(value(r, 'scrape_samples_scraped'), 3);
  assert.ok(value(r, 'scrape_duration_seconds')! > 0);
  assert.equal(value(r, 'app_requests_total', { code: '200' }), 5);
  assert.equal(r.families.filter((f) => f.name === 'up').length, 1, "the exporter's own up is not pushed beside ours");
});

test('a last line without its newline is accepted, as Prometheus does', async () => {
  const r = await scrape('/no-final-newline');
  assert.equal(r.up, true, r.error);
  assert.equal(value(r, 'a'), 1);
});

test('gzip bodies are decoded, asked for or not', async () => {
  gzipAsked.length = 0;
  assert.equal(value(await scrape('/gzip', 'enable_compression = true'), 'go_goroutines'), 7);
  assert.equal(value(await scrape('/gzip'), 'go_goroutines'), 7);
  assert.deepEqual(gzipAsked, ['gzip', 'identity'], 'a loopback exporter is not asked to compress unless enable_compression says so');
});

test('enable_compression defaults to true, except for loopback URLs', () => {
  const compression = (url: string, extra = ''): boolean =>
    configFromText(`[agent]\ninterval = 5s\ntimeout = 1s\n[exporter.x]\nurl = ${url}\n${extra}`).exporters[0]!.compression;
  for (const url of [
    'http://127.0.0.1:9100/metrics',
    'http://127.8.9.10/metrics',
    'http://localhost:9100/metrics',
    'http://LOCALHOST/m',
    'http://[::1]:9100/metrics',
  ])
    assert.equal(compression(url), false, url);
  for (const url of ['http://10.0.0.5:9100/metrics', 'https://exporter.example/metrics', 'http://[::2]/m', 'http://127.0.0.1.example/m'])
    assert.equal(compression(url), true, url);
  assert.equal(compression('http://127.0.0.1/m', 'enable_compression = true'), true);
  assert.equal(compression('http://10.0.0.5/m', 'enable_compression = false'), false);
});

test('OpenMetrics is negotiated and converted', async () => {
  const r = await scrape('/om');
  assert.equal(r.up, true, r.error);
  assert.equal(value(r, 'hits_total'), 3);
  assert.equal(r.families.find((f) => f.name === 'hits_total')?.type, 'counter');
});

test('metric_keep / metric_drop and extra labels (the exporter own label moves to exported_)', async () => {
  const r = await scrape('/text', 'metric_drop = go_.*\nlabel.job2 = x\nlabel.code = edge\n');
  assert.equal(value(r, 'go_goroutines'), undefined);
  const s = r.families.find((f) => f.name === 'app_requests_total')!.samples[0]!;
  assert.deepEqual(s.labels, { code: 'edge', exported_code: '200', job: 'inner', job2: 'x' });
  assert.equal(value(r, 'scrape_samples_scraped'), 3, 'counted before filtering');
  const kept = await scrape('/text', 'metric_keep = app_.*\n');
  assert.deepEqual(kept.families.map((f) => f.name).sort(), ['app_requests_total', 'scrape_duration_seconds', 'scrape_samples_scraped', 'up']);
});

for (const [pathName, why] of [
  ['/garbage', /invalid metric name|line 1/],
  ['/dup', /duplicate series/],
  ['/huge', /size_limit/],
  ['/huge-chunked', /body exceeds size_limit/],
  ['/bomb', /size_limit/],
  ['/500', /HTTP 500/],
  ['/slow', /timed out after 1s/],
  ['/nope', /HTTP 404/],
] as const) {
  test(`${pathName}: up=0, no samples of the exporter, a reason`, async () => {
    const r = await scrape(pathName);
    assert.equal(r.up, false);
    assert.match(r.error ?? '', why);
    assert.deepEqual(r.families.map((f) => f.name).sort(), ['scrape_duration_seconds', 'scrape_samples_scraped', 'up']);
    assert.equal(value(r, 'up'), 0);
  });
}

test('connection refused: up=0', async () => {
  const config = configFromText('[agent]\ninterval = 5s\ntimeout = 1s\n[exporter.x]\nurl = http://127.0.0.1:1/metrics\n');
  const r = await runSource(new ExporterSource(config.exporters[0]!), new AbortController().signal);
  assert.equal(r.up, false);
  assert.match(r.error ?? '', /ECONNREFUSED/);
});

// A body that never ends (1000 series a chunk), written only as fast as the client reads it.
let endlessServed = 0;
routes.set('/endless', (_req, res) => {
  let closed = false;
  res.on('close', () => (closed = true));
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  let i = 0;
  const pump = (): void => {
    while (!closed) {
      let chunk = '';
      for (const end = i + 1000; i < end; i++) chunk += `e${i} 0\n`;
      endlessServed += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
  };
  pump();
});
routes.set('/labels', (_req, res) => res.writeHead(200).end('a{x="1",yy="2",z="3"} 1\n'));
routes.set('/bad-utf8', (_req, res) => res.writeHead(200).end(Buffer.concat([Buffer.from('ok 1\na{x="'), Buffer.from([0xff, 0xfe]), Buffer.from('"} 1\n')])));
routes.set('/bad-utf8-om', (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/openmetrics-text; version=1.0.0' });
  res.end(Buffer.concat([Buffer.from('# HELP a h'), Buffer.from([0xc3]), Buffer.from('\na 1\n# EOF\n')]));
});
routes.set('/long-line', (_req, res) => res.writeHead(200).end(`a{x="\u0007\u001b[2J${'y'.repeat(8_000_000)}"} 1\n`));

test('sample_limit: more samples fails the scrape with the reason, counted, and the body stops being read', async () => {
  const metrics = new SelfMetrics();
  // A generous timeout: the outcome, not the speed, is asserted.
  const r = await scrape('/endless', 'sample_limit = 1000\ntimeout = 4s\n', '100MiB', metrics);
  assert.equal(r.up, false);
  assert.equal(r.error, 'sample_limit exceeded: more than 1000 samples (the rest of the body is not read)');
  assert.equal(value(r, 'up'), 0);
  // What the socket buffers held at most; not the gigabyte the size limit would have let through.
  assert.ok(endlessServed < 64 * 1024 * 1024, `${endlessServed} bytes served`);
  assert.equal((await metrics.exporterScrapeFailures.get()).values.find((v) => v.labels.exporter === 'x' && v.labels.reason === 'sample_limit')?.value, 1);
});

test('sample_limit counts the samples metric_keep/metric_drop keep, as Prometheus counts after relabelling', async () => {
  assert.match((await scrape('/text', 'sample_limit = 1\n')).error ?? '', /sample_limit exceeded/);
  const kept = await scrape('/text', 'sample_limit = 1\nmetric_keep = go_.*\n');
  assert.equal(kept.up, true, kept.error);
  assert.equal(value(kept, 'scrape_samples_scraped'), 3);
});

test('label limits fail the scrape with the reason', async () => {
  assert.equal((await scrape('/labels', 'label_limit = 3\nlabel_name_length_limit = 2\nlabel_value_length_limit = 1\n')).up, true);
  assert.match((await scrape('/labels', 'label_limit = 2\n')).error ?? '', /^label_limit exceeded: a has 3 labels, more than 2$/);
  assert.match((await scrape('/labels', 'label_name_length_limit = 1\n')).error ?? '', /^label_name_length_limit exceeded/);
  const metrics = new SelfMetrics();
  await scrape('/labels', 'label_value_length_limit = 0\nlabel_limit = 1\n', undefined, metrics);
  assert.equal((await metrics.exporterScrapeFailures.get()).values[0]?.labels.reason, 'label_limit');
});

test('a label value or HELP that is not UTF-8 fails the scrape, as in Prometheus (not pushed with U+FFFD)', async () => {
  const metrics = new SelfMetrics();
  const r = await scrape('/bad-utf8', '', undefined, metrics);
  assert.equal(r.up, false);
  assert.match(r.error ?? '', /^line 2: invalid UTF-8/);
  assert.equal((await metrics.exporterScrapeFailures.get()).values[0]?.labels.reason, 'invalid_utf8');
  assert.match((await scrape('/bad-utf8-om')).error ?? '', /^line 1: invalid UTF-8 in HELP line/);
});

test('one 8 MB line fails the scrape early, with a short message free of control bytes', async () => {
  const r = await scrape('/long-line', 'timeout = 4s\n', '10MiB');
  assert.equal(r.up, false);
  assert.equal(r.error, 'line 1: longer than 1048576 bytes (the rest of the body is not read)');
  assert.ok(r.error.length < 1024);
  assert.doesNotMatch(r.error, /[\u0000-\u001f\u007f-\u009f]/);
});

// 40 families with long names, HELP texts and label values after a long comment: one ~54 KB window of text.
let windowed = `# ${'padding '.repeat(6000)}\n`;
for (let i = 0; i < 40; i++) {
  const name = `exporter_family_with_a_long_name_${i}_total`;
  windowed += `# HELP ${name} What family ${i} counts, said at some length.\n# TYPE ${name} counter\n${name}{path="/var/lib/long/path/${i}"} ${i}\n`;
}
routes.set('/windowed', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(windowed));

test("scrape results held until pushed keep nothing of the body's text alive (the source keeps its strings)", async () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const source = exporter('/windowed', '', '1MiB');
  try {
    const signal = new AbortController().signal;
    // Warmed up first (connections, compiled code, the table filled): what is left is what each held result keeps.
    for (let i = 0; i < 5; i++) await runSource(source, signal);
    gc();
    const before = process.memoryUsage().heapUsed;
    const held: SourceResult[] = [];
    for (let i = 0; i < 40; i++) held.push(await runSource(source, signal));
    gc();
    const perScrape = (process.memoryUsage().heapUsed - before) / held.length;
    assert.ok(held.every((r) => r.up));
    // A result holding slices keeps its ~54 KB window (80-90 KB a scrape then); with its strings kept by the source, 20-32 KB.
    assert.ok(perScrape < 56 * 1024, `${perScrape.toFixed(0)} bytes of heap kept per held scrape`);
  } finally {
    await source.close();
  }
});

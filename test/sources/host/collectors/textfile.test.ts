import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertMatchesE2E, makeTree } from '../../../helpers/host.ts';
import { BadPatternError, compileGoPattern, goGlob } from '../../../../src/sources/host/machinery/go-glob.ts';
import { mergeTextfiles, normalizeFileFamilies } from '../../../../src/sources/host/machinery/textfile-merge.ts';
import { parseText } from '../../../../src/model/text-parser.ts';
import { encodeText } from '../../../../src/model/text-encoder.ts';
import { createLogger, setLogSink } from '../../../../src/log.ts';

const quiet = createLogger();
setLogSink(() => {});

test('textfile matches node_exporter on the fixtures (e2e flags)', async () => {
  await assertMatchesE2E('textfile');
});

test('Go pattern syntax: *, ?, classes, negation, escapes', () => {
  assert.ok(compileGoPattern('*.prom').test('a.prom'));
  assert.ok(compileGoPattern('*.prom').test('.hidden.prom'), 'Go does not treat dot files specially');
  assert.ok(!compileGoPattern('?').test('ab'));
  assert.ok(compileGoPattern('[a-c]x').test('bx'));
  assert.ok(!compileGoPattern('[^a-c]x').test('bx'));
  assert.ok(compileGoPattern('\\*').test('*'));
  assert.ok(!compileGoPattern('\\*').test('a'));
  assert.ok(!compileGoPattern('[z-a]').test('m'), 'a reversed range matches nothing');
  assert.ok(!compileGoPattern('{a,b}').test('a'), 'no brace expansion');
  for (const bad of ['[', '[]', '[a', 'x\\', '[-a]']) assert.throws(() => compileGoPattern(bad), BadPatternError, bad);
});

test('goGlob expands directory levels like filepath.Glob, sorted, keeping literal paths as given', async () => {
  const root = makeTree({ 'd/b_x/f': '', 'd/a_x/f': '', 'd/c_y/f': '', 'd/plain/f': '' });
  assert.deepEqual(await goGlob(`${root}/d/*_x`), [`${root}/d/a_x`, `${root}/d/b_x`]);
  assert.deepEqual(await goGlob(`${root}/*/?_y`), [`${root}/d/c_y`]);
  assert.deepEqual(await goGlob(`${root}/d/plain/`), [`${root}/d/plain/`]);
  assert.deepEqual(await goGlob(`${root}/d/none*`), []);
  await assert.rejects(goGlob(`${root}/d/[`), BadPatternError);
});

function normalized(text: string) {
  return normalizeFileFamilies(parseText(text), quiet);
}

test('a histogram without +Inf bucket gets one from its count; buckets sort numerically; le is reformatted', () => {
  const fams = normalized('# TYPE h histogram\nh_bucket{le="1e3"} 5\nh_bucket{le="10"} 2\nh_sum 7\nh_count 6\n');
  assert.equal(encodeText(fams), '# TYPE h histogram\nh_bucket{le="10"} 2\nh_bucket{le="1000"} 5\nh_bucket{le="+Inf"} 6\nh_sum 7\nh_count 6\n');
});

test('a histogram with a non-integer count reads as zero counts (expfmt float histogram); a negative one rejects the file', () => {
  const fams = normalized('# TYPE h histogram\nh_bucket{le="1"} 1.5\nh_sum 3\nh_count 2\n');
  assert.equal(encodeText(fams), '# TYPE h histogram\nh_bucket{le="1"} 0\nh_bucket{le="+Inf"} 0\nh_sum 3\nh_count 0\n');
  assert.throws(() => normalized('# TYPE h histogram\nh_bucket{le="1"} -1\nh_count 2\n'), /negative/);
});

test('a summary missing _sum and _count gets zeros; counts are truncated; missing labels are filled in empty', () => {
  const fams = normalized('# TYPE s summary\ns{quantile="0.50"} 1\ns_count{a="b"} 2.7\n');
  assert.equal(encodeText(fams), '# TYPE s summary\ns{a="",quantile="0.5"} 1\ns_sum{a=""} 0\ns_count{a=""} 0\ns_sum{a="b"} 0\ns_count{a="b"} 2\n');
});

test('families with only HELP/TYPE lines are dropped like expfmt does', () => {
  assert.deepEqual(
    normalized('# HELP a x\n# TYPE a gauge\nb 1\n').map((f) => f.name),
    ['b'],
  );
});

test('merging files: first type wins, repeated series are dropped, HELP conflict flags an error', () => {
  const a = { path: 'd/a.prom', families: normalized('# TYPE m gauge\nm{x="1"} 1\n# HELP h one\nh 1\n') };
  const b = { path: 'd/b.prom', families: normalized('# TYPE m counter\nm{x="2"} 2\n# HELP h two\nh 2\n') };
  const c = { path: 'd/c.prom', families: normalized('# TYPE m gauge\nm{x="1"} 9\nm{x="3"} 3\n') };
  const merged = mergeTextfiles([a, b, c], quiet);
  assert.equal(merged.helpConflict, true);
  assert.equal(
    encodeText(merged.families),
    '# HELP h one\n# TYPE h untyped\nh 1\n# HELP m Metric read from d/a.prom, d/b.prom, d/c.prom\n# TYPE m gauge\nm{x="1"} 1\nm{x="3"} 3\n',
  );
});

test('a textfile directory given as a glob that matches a file (not a directory) is an error, others still read', async () => {
  const root = makeTree({ 'tf/ok/a.prom': 'a 1\n', 'tf/file.txt': 'x' });
  mkdirSync(path.join(root, 'tf', 'empty'));
  writeFileSync(path.join(root, 'tf', 'ok', 'b.prom'), 'b 2\n');
  const { collectTextfiles } = await import('../../../../src/sources/host/collectors/textfile.ts');
  const families = await collectTextfiles([`${root}/tf/*`], quiet);
  const byName = new Map(families.map((f) => [f.name, f]));
  assert.equal(byName.get('node_textfile_scrape_error')!.samples[0]!.value, 1);
  assert.equal(byName.get('a')!.samples[0]!.value, 1);
  assert.equal(byName.get('b')!.samples[0]!.value, 2);
});

test('a file that continues a family after another one, or repeats a series, is read as node_exporter reads it', async () => {
  const root = makeTree({ 'tf/a.prom': '# TYPE m gauge\nm{x="1"} 1\nother 5\nm{x="2"} 2\nm{x="1"} 9\n' });
  const { collectTextfiles } = await import('../../../../src/sources/host/collectors/textfile.ts');
  const families = await collectTextfiles([`${root}/tf`], quiet);
  const byName = new Map(families.map((f) => [f.name, f]));
  assert.equal(byName.get('node_textfile_scrape_error')!.samples[0]!.value, 0);
  assert.deepEqual(
    byName.get('m')!.samples.map((s) => [s.labels['x'], s.value]),
    [
      ['1', 1],
      ['2', 2],
    ],
  );
  assert.equal(byName.get('other')!.samples[0]!.value, 5);
});

test('a textfile family that clashes with a collector never displaces it nor duplicates a series', async () => {
  const { runCollectors, treeFlags } = await import('../../../helpers/host.ts');
  const root = makeTree({
    'proc/loadavg': '0.25 0.5 0.75 1/2 3\n',
    'tf/clash.prom': '# TYPE node_load1 gauge\nnode_load1 99\n# TYPE node_load5 counter\nnode_load5 98\nsite_ok 1\n',
  });
  const run = await runCollectors(['loadavg', 'textfile'], [...treeFlags(root), `--collector.textfile.directory=${root}/tf`]);
  assert.equal(run.success.get('loadavg'), 1);
  assert.equal(run.success.get('textfile'), 0, 'the clash is reported on the textfile collector');
  assert.deepEqual(
    run.byName.get('node_load1')!.samples.map((s) => s.value),
    [0.25],
  );
  assert.equal(run.byName.get('node_load5')!.type, 'gauge');
  assert.deepEqual(
    run.byName.get('node_load5')!.samples.map((s) => s.value),
    [0.5],
  );
  assert.equal(run.byName.get('site_ok')!.samples[0]!.value, 1, 'the rest of the textfile output is kept');
  parseText(run.text); // a valid exposition: no duplicate series
});

test('bytes that are not UTF-8: a label value skips the file, as expfmt refuses it; a HELP or a comment does not', async () => {
  const root = makeTree({ 'tf/good.prom': 'good 1\n' });
  const bytes = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p as string)));
  writeFileSync(path.join(root, 'tf', 'a_label.prom'), bytes('bad_label{x="', [0xff, 0x41], '"} 1\n'));
  writeFileSync(path.join(root, 'tf', 'b_help.prom'), bytes('# HELP odd_help h', [0xff], 'x\n# c', [0xfe], '\nodd_help 1\n'));
  const { collectTextfiles } = await import('../../../../src/sources/host/collectors/textfile.ts');
  const families = await collectTextfiles([`${root}/tf`], quiet);
  const byName = new Map(families.map((f) => [f.name, f]));
  assert.equal(byName.get('node_textfile_scrape_error')!.samples[0]!.value, 1);
  assert.equal(byName.get('bad_label'), undefined, 'the file is skipped whole, not read with U+FFFD');
  assert.equal(byName.get('odd_help')!.help, 'h\uFFFDx');
  assert.equal(byName.get('good')!.samples[0]!.value, 1);
  assert.deepEqual(
    byName.get('node_textfile_mtime_seconds')!.samples.map((s) => path.basename(s.labels['file']!)),
    ['b_help.prom', 'good.prom'],
  );
});

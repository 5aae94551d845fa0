/**
 * node_exporter's textfile test cases (fixtures/textfile/<case> with its
 * .out), run as its TestTextfileCollector runs them: from a directory that
 * holds fixtures/textfile/, paths relative to it, every file's mtime 1.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeText } from '../../src/model/text-encoder.ts';
import { parseText } from '../../src/model/text-parser.ts';
import { FIXTURES } from '../helpers/fixtures.ts';
import { runCli } from '../helpers/cli.ts';
import { runCollectors } from '../helpers/host.ts';
import { setLogSink } from '../../src/log.ts';

const SOURCE = path.join(FIXTURES, 'textfile');

/** node_exporter's table: directories given (repeated flag) and the expected output. */
const CASES: Array<{ paths: string[]; out: string }> = [
  { paths: ['fixtures/textfile/no_metric_files'], out: 'no_metric_files.out' },
  { paths: ['fixtures/textfile/two_metric_files'], out: 'two_metric_files.out' },
  { paths: ['fixtures/textfile/nonexistent_path'], out: 'nonexistent_path.out' },
  { paths: ['fixtures/textfile/client_side_timestamp'], out: 'client_side_timestamp.out' },
  { paths: ['fixtures/textfile/different_metric_types'], out: 'different_metric_types.out' },
  { paths: ['fixtures/textfile/inconsistent_metrics'], out: 'inconsistent_metrics.out' },
  { paths: ['fixtures/textfile/histogram'], out: 'histogram.out' },
  { paths: ['fixtures/textfile/histogram_extra_dimension'], out: 'histogram_extra_dimension.out' },
  { paths: ['fixtures/textfile/summary'], out: 'summary.out' },
  { paths: ['fixtures/textfile/summary_extra_dimension'], out: 'summary_extra_dimension.out' },
  { paths: ['fixtures/textfile/histogram_extra_dimension', 'fixtures/textfile/summary_extra_dimension'], out: 'glob_extra_dimension.out' },
  { paths: ['fixtures/textfile/*_extra_dimension'], out: 'glob_extra_dimension.out' },
  { paths: ['fixtures/textfile/metrics_merge_empty_help'], out: 'metrics_merge_empty_help.out' },
  { paths: ['fixtures/textfile/metrics_merge_no_help'], out: 'metrics_merge_no_help.out' },
  { paths: ['fixtures/textfile/metrics_merge_same_help'], out: 'metrics_merge_same_help.out' },
  { paths: ['fixtures/textfile/metrics_merge_different_help'], out: 'metrics_merge_different_help.out' },
];

let cwd: string;
let logLines: string[] = [];
let restoreLog: ((line: string) => void) | undefined;

/** Copies fixtures/textfile into a temporary directory (same layout) with every file's mtime set to 1 s. */
before(() => {
  restoreLog = setLogSink((line) => logLines.push(line));
  cwd = mkdtempSync(path.join(os.tmpdir(), 'edgepush-textfile-'));
  const target = path.join(cwd, 'fixtures', 'textfile');
  for (const entry of readdirSync(SOURCE)) {
    const from = path.join(SOURCE, entry);
    if (!statSync(from).isDirectory()) continue;
    mkdirSync(path.join(target, entry), { recursive: true });
    for (const file of readdirSync(from)) {
      const to = path.join(target, entry, file);
      copyFileSync(path.join(from, file), to);
      utimesSync(to, 1, 1);
    }
  }
});

after(() => {
  rmSync(cwd, { recursive: true, force: true });
  if (restoreLog) setLogSink(restoreLog);
});

/** The collector's own output: node_exporter's test registers the textfile collector alone. */
function textfileOutput(text: string): string {
  return encodeText(parseText(text).filter((f) => !f.name.startsWith('node_scrape_collector_')));
}

function directoryFlags(paths: string[]): string[] {
  return paths.map((p) => `--collector.textfile.directory=${p}`);
}

test('every case of fixtures/textfile reproduces its .out exactly', async (t) => {
  const outs = readdirSync(SOURCE).filter((f) => f.endsWith('.out'));
  assert.deepEqual([...new Set(CASES.map((c) => c.out))].sort(), outs.sort(), 'every .out file is covered by a case');
  for (const c of CASES) {
    await t.test(`${c.paths.join(' + ')} → ${c.out}`, async () => {
      const run = await runCollectors(['textfile'], directoryFlags(c.paths), cwd);
      assert.equal(run.success.get('textfile'), 1, 'the textfile collector itself never fails');
      assert.equal(textfileOutput(run.text), readFileSync(path.join(SOURCE, c.out), 'utf8'));
    });
  }
});

test('edgepush once (the CLI) gives the same output for a glob and for two repeated directories', async () => {
  for (const c of CASES.filter((x) => x.out === 'glob_extra_dimension.out')) {
    const result = await runCli(['once', '--collector.disable-defaults', '--collector.textfile', ...directoryFlags(c.paths)], { cwd });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(textfileOutput(result.stdout), readFileSync(path.join(SOURCE, c.out), 'utf8'));
  }
});

test('a file without trailing newline, a garbled file and an unreadable directory entry set scrape_error but keep the good files', async () => {
  const dir = path.join(cwd, 'broken');
  mkdirSync(dir, { recursive: true });
  logLines = [];
  writeFileSync(path.join(dir, 'good.prom'), '# HELP ok_total fine\n# TYPE ok_total counter\nok_total 3\n');
  writeFileSync(path.join(dir, 'no-newline.prom'), 'half_metric 1');
  writeFileSync(path.join(dir, 'garbled.prom'), 'metric{a="1" 2\n');
  mkdirSync(path.join(dir, 'dir.prom'));
  const run = await runCollectors(['textfile'], directoryFlags(['broken']), cwd);
  assert.equal(run.success.get('textfile'), 1);
  assert.equal(run.byName.get('node_textfile_scrape_error')!.samples[0]!.value, 1);
  assert.equal(run.byName.get('ok_total')!.samples[0]!.value, 3);
  assert.equal(run.byName.get('half_metric'), undefined);
  assert.deepEqual(
    run.byName.get('node_textfile_mtime_seconds')!.samples.map((s) => s.labels['file']),
    ['broken/good.prom'],
  );
  for (const name of ['no-newline.prom', 'garbled.prom', 'dir.prom'])
    assert.ok(
      logLines.some((l) => l.includes(`file=${name}`)),
      `an error is logged for ${name}`,
    );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readExposition } from '../../src/model/exposition-reader.ts';
import type { MetricFamily } from '../../src/model/family.ts';
import { StringTable } from '../../src/model/string-table.ts';
import { NODE_EXPORTER_FIXTURES } from '../helpers/fixtures.ts';

const E2E = readFileSync(`${NODE_EXPORTER_FIXTURES}/collector/fixtures/e2e-output.txt`);

test('a parse with a string table gives what one without gives, scrape after scrape', () => {
  const strings = new StringTable();
  const extra = Buffer.from(
    '# HELP long_help_family A HELP text with \\\\ and \\n escapes, long enough to be a slice.\n# TYPE long_help_family histogram\n' +
      'long_help_family_bucket{device="nvme0n1p1-long-name",le="0.5"} 1\nlong_help_family_bucket{device="nvme0n1p1-long-name",le="+Inf"} 2\n' +
      'long_help_family_sum{device="nvme0n1p1-long-name"} 3\nlong_help_family_count{device="nvme0n1p1-long-name"} 2\n',
  );
  const body = Buffer.concat([E2E, extra]);
  const plain = readExposition(body).families;
  for (let scrape = 0; scrape < 3; scrape++) assert.deepEqual(readExposition(body, { strings }).families, plain);
  assert.ok(strings.size > 0);
});

/** Heap kept per parse when `parses` parses' families are all held (as batches are until pushed). */
function heldPerParse(body: Buffer, strings: StringTable | undefined): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) readExposition(body, { strings }); // compiled, the table filled
  gc();
  const before = process.memoryUsage().heapUsed;
  const held: MetricFamily[][] = [];
  const parses = 40;
  for (let i = 0; i < parses; i++) held.push(readExposition(body, { strings }).families);
  gc();
  const perParse = (process.memoryUsage().heapUsed - before) / parses;
  assert.equal(held.length, parses);
  return perParse;
}

test("with a string table, a held batch keeps nothing of the body's text alive", () => {
  // 40 families with long names, HELP texts and label values, in one ~64 KB window with a long comment.
  let text = `# ${'padding '.repeat(6000)}\n`;
  for (let i = 0; i < 40; i++) {
    const name = `exporter_family_with_a_long_name_${i}_total`;
    text += `# HELP ${name} What family ${i} counts, said at some length.\n# TYPE ${name} counter\n${name}{path="/var/lib/long/path/${i}"} ${i}\n`;
  }
  const body = Buffer.from(text);
  const withTable = heldPerParse(body, new StringTable());
  const without = heldPerParse(body, undefined);
  // Without the table each held parse keeps its ~54 KB window through its slices; with it, only its own objects (~15 KB).
  assert.ok(without - withTable > 40 * 1024, `${without.toFixed(0)} bytes per parse without the table, ${withTable.toFixed(0)} with it`);
  assert.ok(withTable < 32 * 1024, `${withTable.toFixed(0)} bytes per parse with the table`);
});

test('a string table is bounded: full, it starts again empty', () => {
  const strings = new StringTable(3);
  for (const s of ['alpha-string-one', 'beta-string-two', 'gamma-string-three']) assert.equal(strings.intern(s), s);
  assert.equal(strings.size, 3);
  assert.equal(strings.intern('beta-string-two'), 'beta-string-two');
  assert.equal(strings.size, 3, 'a string already kept is not added again');
  assert.equal(strings.intern('delta-string-four'), 'delta-string-four');
  assert.equal(strings.size, 1);
});

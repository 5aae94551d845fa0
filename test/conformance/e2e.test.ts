/**
 * Conformance with node_exporter 1.12: `edgepush once` over node_exporter's
 * fixture tree, compared family by family with its e2e-output.txt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseText } from '../../src/model/text-parser.ts';
import { encodeText } from '../../src/model/text-encoder.ts';
import type { MetricFamily } from '../../src/model/family.ts';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';
import { E2E_CWD, FIXTURES } from '../helpers/fixtures.ts';
import { runCli } from '../helpers/cli.ts';
import { e2eArgs, E2E_DISABLED } from './e2e-flags.ts';
import { NODE_EXPORTER_DEFAULT_COLLECTORS, ownerOf } from './family-owners.ts';

/** Lines node_exporter's e2e test filters out of the output before comparing. */
const FILTERED =
  /^(go_|node_exporter_build_info|node_scrape_collector_duration_seconds|process_|node_textfile_mtime_seconds|node_time_(zone|seconds)|node_network_(receive|transmit)_(bytes|packets)_total)/;

const implemented = new Set(COLLECTORS.map((c) => c.name));

function byName(families: MetricFamily[]): Map<string, MetricFamily> {
  return new Map(families.map((f) => [f.name, f]));
}

/** Keeps only the samples the e2e filter keeps and, for the scrape success family, those of implemented collectors. */
function comparable(f: MetricFamily): MetricFamily {
  let samples = f.samples.filter((s) => !FILTERED.test(s.name));
  if (f.name === 'node_scrape_collector_success')
    samples = samples.filter((s) => implemented.has(s.labels['collector'] ?? '') && !E2E_DISABLED.includes(s.labels['collector'] ?? ''));
  return { ...f, samples };
}

test('edgepush once reproduces node_exporter e2e-output.txt for every implemented collector', async () => {
  const expected = byName(parseText(readFileSync(path.join(FIXTURES, 'e2e-output.txt'), 'utf8')));
  const result = await runCli(['once', ...e2eArgs(implemented)], { cwd: E2E_CWD });
  assert.equal(result.code, 0, `edgepush once failed: ${result.stderr}`);
  const actual = byName(parseText(result.stdout));

  const problems: string[] = [];
  const tally = new Map<string, { exact: number; total: number }>();
  const count = (group: string, ok: boolean): void => {
    const t = tally.get(group) ?? { exact: 0, total: 0 };
    t.total++;
    if (ok) t.exact++;
    tally.set(group, t);
  };

  for (const [name, want] of expected) {
    const owner = ownerOf(name);
    assert.ok(owner, `family ${name} of e2e-output.txt has no owner rule in family-owners.ts`);
    if (owner.startsWith('(node_exporter')) continue;
    const group = owner === '(framework)' ? 'framework' : NODE_EXPORTER_DEFAULT_COLLECTORS.has(owner) ? 'default' : 'optional';
    const mine = actual.get(name);
    if (owner !== '(framework)' && !implemented.has(owner)) {
      count(group, false);
      continue;
    }
    let ok = true;
    if (!mine) {
      problems.push(`${name} (${owner}): missing`);
      ok = false;
    } else {
      const w = comparable(want);
      const m = comparable(mine);
      if (w.help !== m.help) problems.push(`${name}: HELP differs: want ${JSON.stringify(w.help)}, got ${JSON.stringify(m.help)}`), (ok = false);
      if (w.type !== m.type) problems.push(`${name}: TYPE differs: want ${w.type}, got ${m.type}`), (ok = false);
      if (w.samples.length === 0 && m.samples.length === 0 && mine.samples.length === 0) {
        problems.push(`${name}: emitted with no samples`);
        ok = false;
      }
      const we = encodeText([{ ...w, help: '', type: 'untyped' }]);
      const me = encodeText([{ ...m, help: '', type: 'untyped' }]);
      if (we !== me) {
        problems.push(`${name}: samples differ\n--- want\n${we}--- got\n${me}`);
        ok = false;
      }
    }
    count(group, ok);
  }
  for (const [name, mine] of actual) {
    if (expected.has(name) || FILTERED.test(name)) continue;
    const owner = ownerOf(name);
    if (owner?.startsWith('(node_exporter')) continue;
    problems.push(`${name} (${owner ?? 'no owner'}): emitted but not in e2e-output.txt (${mine.samples.length} samples)`);
  }

  const summary = [...tally.entries()].map(([g, t]) => `${g} ${t.exact}/${t.total}`).join(', ');
  const all = [...tally.values()].reduce((a, t) => ({ exact: a.exact + t.exact, total: a.total + t.total }), { exact: 0, total: 0 });
  console.log(`# conformance: e2e-output.txt families reproduced exactly: ${all.exact}/${all.total} (${summary}); collectors implemented: ${implemented.size}`);
  assert.deepEqual(problems, [], `families that differ from node_exporter:\n${problems.join('\n')}`);
});

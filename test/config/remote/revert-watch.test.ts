/**
 * The revert watch judges a new layer by the push reports of the cycles run
 * on it: which cycles are bad, when it reverts, when it promotes, and what it
 * reports (log line, counter, status series).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { identify } from '../../../src/config/remote/layer-state.ts';
import { RevertWatch } from '../../../src/config/remote/revert-watch.ts';
import { createLogger, setLogSink } from '../../../src/log.ts';
import type { PushReport } from '../../../src/model/batch.ts';

const GOOD = '#edgepush-version 1\n[pushgateway.a]\nurl = http://a.example:9091\n';
const BAD = '#edgepush-version 2\n[pushgateway.a]\nurl = http://a.example:1\n';

function reports(entries: Record<string, boolean>): Map<string, PushReport> {
  return new Map(Object.entries(entries).map(([name, ok]) => [name, { ok, bytesSent: 0 }]));
}

function setUp(t: { after(fn: () => void): void }, afterCycles = 2) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-revert-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logs: string[] = [];
  const previousSink = setLogSink((line) => logs.push(line));
  t.after(() => setLogSink(previousSink));
  const registry = new Registry();
  let reloads = 0;
  const cacheFile = path.join(dir, 'remote-config.ini');
  const watch = new RevertWatch({ cacheFile, afterCycles, reload: () => reloads++, log: createLogger(), registry });
  /** What the fetcher does: the trial starts, then the layer is cached. */
  const apply = (text: string): void => {
    watch.layers.startTrial(identify(text), watch.pushingSinks, Date.now());
    writeFileSync(cacheFile, text);
  };
  // Cycles start after every apply of the test, however slow the machine: only the cycle that says otherwise ran before one.
  let clock = Date.now() + 3_600_000;
  const cycle = (entries: Record<string, boolean>): void => watch.observe((clock += 1000), reports(entries));
  return { watch, apply, cycle, cacheFile, logs, registry, reloads: () => reloads };
}

async function metric(registry: Registry, name: string): Promise<Array<[Record<string, string | number>, number]>> {
  return (await registry.getSingleMetric(name)!.get()).values.map((v) => [v.labels as Record<string, string | number>, v.value]);
}

test('a layer that makes every push that worked fail for N cycles is reverted once, logged and counted', async (t) => {
  const s = setUp(t);
  s.cycle({ 'pushgateway.a': true });
  s.apply(GOOD);
  s.cycle({ 'pushgateway.a': true });
  s.cycle({ 'pushgateway.a': true });
  assert.equal(s.watch.layers.trial(), undefined, 'N good cycles make the layer known-good');
  s.apply(BAD);
  s.cycle({ 'pushgateway.a': false });
  assert.equal(s.reloads(), 0, 'one bad cycle is not enough');
  s.cycle({ 'pushgateway.a': false });
  assert.equal(s.reloads(), 1);
  assert.equal(readFileSync(s.cacheFile, 'utf8'), GOOD);
  s.cycle({ 'pushgateway.a': false });
  assert.equal(s.reloads(), 1, 'nothing left to revert');
  assert.equal(s.logs.filter((l) => l.includes('reverted to the last known-good layer')).length, 1, s.logs.join(''));
  assert.match(
    s.logs.join(''),
    /level=error msg="remote configuration version 2 \(sha256 [0-9a-f]{12}\) reverted to the last known-good layer; it is never applied again" why="every push that worked before fails since it was applied \(2 cycles\)"/,
  );
  assert.deepEqual(await metric(s.registry, 'edgepush_remote_config_reverts_total'), [[{}, 1]]);
  assert.deepEqual(await metric(s.registry, 'edgepush_remote_config_info'), [[{ version: '1', sha256: identify(GOOD).sha256, state: 'reverted' }, 1]]);
});

test('what counts as broken: the sinks that worked and are still configured all fail; when none is left, no push works at all', (t) => {
  const s = setUp(t, 1);
  s.cycle({ 'pushgateway.a': true, 'pushgateway.b': true, 'pushgateway.dead': false });
  s.apply(GOOD);
  s.cycle({ 'pushgateway.a': false, 'pushgateway.b': true });
  s.cycle({ 'pushgateway.a': true, 'pushgateway.b': true });
  assert.equal(s.reloads(), 0, 'one working sink left is not broken');
  assert.equal(s.watch.layers.trial(), undefined);

  s.apply('#edgepush-version 2\n[pushgateway.renamed]\nurl = http://a.example:9091\n');
  s.cycle({ 'pushgateway.renamed': true });
  assert.equal(s.reloads(), 0, 'the old sinks are gone, but pushing works');
  s.apply(BAD);
  s.cycle({ 'pushgateway.c': false });
  assert.equal(s.reloads(), 1, 'the old sinks are gone and nothing pushes');
});

test('a cycle that started before the apply ran on the previous layer and is not held against the new one', (t) => {
  const s = setUp(t, 1);
  s.cycle({ 'pushgateway.a': true });
  s.apply(BAD);
  s.watch.observe(Date.now() - 60_000, reports({ 'pushgateway.a': false }));
  assert.equal(s.reloads(), 0);
});

test('a box that never pushed has nothing to lose: its layer is not reverted; 0 cycles disables reverts', (t) => {
  const never = setUp(t, 1);
  never.apply(BAD);
  never.cycle({ 'pushgateway.a': false });
  never.cycle({ 'pushgateway.a': false });
  assert.equal(never.reloads(), 0);

  const disabled = setUp(t, 0);
  disabled.cycle({ 'pushgateway.a': true });
  disabled.apply(BAD);
  disabled.cycle({ 'pushgateway.a': false });
  assert.equal(disabled.reloads(), 0);
  assert.equal(disabled.watch.layers.trial(), undefined, 'with reverts off, a layer that ran a cycle is known-good');
});

test('a state directory the trial cannot be kept in is logged once; the agent keeps running on its layer', (t) => {
  const s = setUp(t, 1);
  s.cycle({ 'pushgateway.a': true });
  s.apply(BAD);
  const stateFile = path.join(path.dirname(s.cacheFile), 'remote-config.state.json');
  rmSync(stateFile);
  mkdirSync(stateFile);
  s.cycle({ 'pushgateway.a': false });
  s.cycle({ 'pushgateway.a': false });
  assert.equal(s.reloads(), 0);
  assert.equal(readFileSync(s.cacheFile, 'utf8'), BAD);
  assert.equal(s.logs.filter((l) => l.includes('cannot keep the remote configuration trial') && l.includes('EISDIR')).length, 1, s.logs.join(''));
});

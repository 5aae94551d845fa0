/**
 * The remembered layer state: version rules across restarts (a new LayerState
 * on the same directory is a restart), trials, known-good, revert, and the
 * start-up check for a layer that crashed the agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LayerRefusal, type RefusalReason } from '../../../src/config/remote/layer-signature.ts';
import { identify, LayerState, type LayerId } from '../../../src/config/remote/layer-state.ts';

function stateDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-layer-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const layer = (version: number | undefined, body = 'a'): string =>
  `${version === undefined ? '' : `#edgepush-version ${version}\n`}[pushgateway.${body}]\nurl = http://${body}.example:9091\n`;

/** What the fetcher does for a layer it applies: admit, start the trial, cache. */
function apply(state: LayerState, text: string, baseline: string[] = ['pushgateway.a']): LayerId {
  const id = identify(text);
  state.admit(id);
  state.startTrial(id, baseline, Date.now());
  writeFileSync(state.cacheFile, text);
  return id;
}

function refused(state: LayerState, text: string, reason: RefusalReason): void {
  assert.throws(
    () => state.admit(identify(text)),
    (err: unknown) => err instanceof LayerRefusal && err.reason === reason,
    text,
  );
}

test('never a version lower than the highest applied, nor that version with other content; remembered across restarts', (t) => {
  const cache = path.join(stateDir(t), 'remote-config.ini');
  const state = new LayerState(cache);
  apply(state, layer(5));
  const restarted = new LayerState(cache);
  refused(restarted, layer(4), 'old_version');
  refused(restarted, layer(5, 'b'), 'old_version');
  restarted.admit(identify(layer(5)));
  restarted.admit(identify(layer(6, 'b')));
  restarted.admit(identify(layer(undefined, 'b')));
  apply(restarted, layer(9, 'c'));
  refused(new LayerState(cache), layer(6, 'b'), 'old_version');
});

/** A box whose version 1 is known-good and whose version 2 (`body`) is on trial. */
function knownGoodThenTrial(t: { after(fn: () => void): void }, body: string): { cache: string; state: LayerState } {
  const cache = path.join(stateDir(t), 'remote-config.ini');
  const state = new LayerState(cache);
  apply(state, layer(1));
  state.promote();
  apply(state, layer(2, body));
  return { cache, state };
}

test('a revert restores the known-good layer and refuses the bad version for good; a higher version is applied', (t) => {
  const { cache, state } = knownGoodThenTrial(t, 'broken');
  assert.deepEqual(state.revert(), identify(layer(2, 'broken')));
  assert.equal(readFileSync(cache, 'utf8'), layer(1), 'the known-good layer is back in the cache');
  assert.equal(state.trial(), undefined);
  const restarted = new LayerState(cache);
  refused(restarted, layer(2, 'broken'), 'reverted');
  refused(restarted, layer(2, 'other'), 'reverted');
  restarted.admit(identify(layer(3, 'fixed')));
});

test('an unversioned layer is refused by its content once reverted; with no known-good layer a revert leaves the local files alone', (t) => {
  const cache = path.join(stateDir(t), 'remote-config.ini');
  const state = new LayerState(cache);
  apply(state, layer(undefined, 'first'));
  state.revert();
  assert.equal(existsSync(cache), false);
  refused(state, layer(undefined, 'first'), 'reverted');
  state.admit(identify(layer(undefined, 'second')));
});

test('a layer replacing one still on trial is judged against the sinks the known-good layer pushed to', (t) => {
  const state = new LayerState(path.join(stateDir(t), 'remote-config.ini'));
  apply(state, layer(1), ['pushgateway.a']);
  apply(state, layer(2), []);
  assert.deepEqual(state.trial()?.baseline, ['pushgateway.a']);
});

test('at start, a trial that never completed a cycle and was not stopped on request crashed the agent: reverted', (t) => {
  const { cache } = knownGoodThenTrial(t, 'crashes');
  assert.deepEqual(new LayerState(cache).recoverFromCrash(), identify(layer(2, 'crashes')));
  assert.equal(readFileSync(cache, 'utf8'), layer(1));
  refused(new LayerState(cache), layer(2, 'crashes'), 'reverted');

  const stopped = new LayerState(cache);
  apply(stopped, layer(3));
  stopped.stoppedCleanly();
  assert.equal(new LayerState(cache).recoverFromCrash(), undefined, 'a stop on request is no crash');
  assert.equal(stopped.trial()?.stoppedCleanly, false, 'but the next run must complete a cycle or stop cleanly too');
  assert.equal(new LayerState(cache).recoverFromCrash()?.version, 3, 'a crash in that next run reverts it');

  const ran = new LayerState(cache);
  apply(ran, layer(4));
  ran.cycled();
  assert.equal(new LayerState(cache).recoverFromCrash(), undefined, 'a layer that completed a cycle does not crash at start');
  assert.equal(readFileSync(cache, 'utf8'), layer(4));
});

test('a damaged state file costs the memory, never the start', (t) => {
  const dir = stateDir(t);
  writeFileSync(path.join(dir, 'remote-config.state.json'), '{not json');
  const state = new LayerState(path.join(dir, 'remote-config.ini'));
  assert.equal(state.recoverFromCrash(), undefined);
  state.admit(identify(layer(1)));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { peerAvailable } from '../../scripts/lib/peers.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';

const peer = peerAvailable('prometheus');
const skip = peer.ok ? false : `promtool unavailable: ${peer.reason}`;

test('the shipped alerting rules are valid and pass their promtool unit tests', { skip }, () => {
  const promtool = (peer as { paths: Record<string, string> }).paths['promtool']!;
  const check = spawnSync(promtool, ['check', 'rules', path.join(REPO_ROOT, 'packaging', 'alerts', 'edgepush.rules.yml')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const run = spawnSync(promtool, ['test', 'rules', path.join(REPO_ROOT, 'test', 'packaging', 'alerts', 'edgepush.rules.test.yml')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout + run.stderr, /SUCCESS/);
});

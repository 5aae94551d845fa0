import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProcess } from './run.ts';

test('a timed-out command ends the wait even when a process it started still holds its output', async () => {
  // The shell is killed at the timeout; its background sleep keeps stdout open for ten minutes.
  const run = runProcess('sh', ['-c', 'sleep 600 & echo started; wait'], { timeoutMs: 500 });
  let settled = false;
  void run.finally(() => (settled = true));
  const deadline = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000).unref());
  const outcome = await Promise.race([run.then((r) => r), deadline]);
  assert.notEqual(outcome, 'hung', 'the wait outlived the timeout by a minute');
  assert.ok(settled);
  assert.notEqual((outcome as { code: number | null }).code, 0);
});

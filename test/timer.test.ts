/** startTimer: delays past setTimeout's 2^31-1 ms limit wait their whole length (mocked time, no real waiting). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMEOUT_MS, startTimer } from '../src/timer.ts';

const DAY_MS = 86_400_000;

test('a delay beyond 2^31-1 ms never fires early, and fires when due', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  for (const delayMs of [MAX_TIMEOUT_MS + 1, 30 * DAY_MS, 365 * DAY_MS]) {
    let fired = 0;
    startTimer(() => fired++, delayMs);
    // Through the whole delay in steps (setTimeout alone would have fired after 1 ms); whole
    // chunks at a time, since mocked timers armed inside a tick start from the tick's end.
    let left = delayMs;
    for (const step of [1, 1000, MAX_TIMEOUT_MS - 1001]) {
      t.mock.timers.tick(step);
      left -= step;
      assert.equal(fired, 0, `${delayMs} ms: fired ${left} ms early`);
    }
    for (; left > MAX_TIMEOUT_MS; left -= MAX_TIMEOUT_MS) {
      t.mock.timers.tick(MAX_TIMEOUT_MS);
      assert.equal(fired, 0, `${delayMs} ms: fired ${left - MAX_TIMEOUT_MS} ms early`);
    }
    t.mock.timers.tick(left - 1);
    assert.equal(fired, 0, `${delayMs} ms: fired 1 ms early`);
    t.mock.timers.tick(1);
    assert.equal(fired, 1, `${delayMs} ms: fired when due`);
    t.mock.timers.tick(MAX_TIMEOUT_MS * 2);
    assert.equal(fired, 1, `${delayMs} ms: fired once`);
  }
});

test('short, negative, NaN and infinite delays; clear cancels a chained timer', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const fired: string[] = [];
  startTimer(() => fired.push('short'), 5);
  startTimer(() => fired.push('negative'), -5);
  startTimer(() => fired.push('nan'), NaN);
  startTimer(() => fired.push('infinite'), Infinity);
  const cleared = startTimer(() => fired.push('cleared'), 40 * DAY_MS);
  t.mock.timers.tick(0);
  assert.deepEqual(fired, ['negative']);
  t.mock.timers.tick(5);
  assert.deepEqual(fired, ['negative', 'short']);
  t.mock.timers.tick(MAX_TIMEOUT_MS);
  cleared.clear();
  t.mock.timers.tick(100 * DAY_MS);
  assert.deepEqual(fired, ['negative', 'short'], 'NaN and Infinity never fire; a timer cleared after a chained step stays cleared');
});

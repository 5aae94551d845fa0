import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from '../src/backoff.ts';

test('backoff doubles up to its cap with jitter', () => {
  const o = { minMs: 100, maxMs: 1000 };
  assert.equal(
    backoffDelayMs(0, o, () => 0),
    50,
  );
  assert.equal(
    backoffDelayMs(0, o, () => 1),
    100,
  );
  assert.equal(
    backoffDelayMs(3, o, () => 1),
    800,
  );
  assert.equal(
    backoffDelayMs(10, o, () => 1),
    1000,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareCodeUnits, sortSmall } from '../../src/model/sort-small.ts';

/** A small deterministic generator, so a failure can be reproduced. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

test('sorts in place as the built-in sort does, below and above the insertion-sort bound', () => {
  const next = random(13);
  for (const length of [0, 1, 2, 3, 7, 31, 32, 33, 100]) {
    for (let round = 0; round < 20; round++) {
      const items = Array.from(
        { length },
        () => ['le', 'quantile', 'job', 'a', 'a_b', 'Z', 'é', '0', ''][Math.floor(next() * 9)]! + String(Math.floor(next() * 4)),
      );
      const expected = [...items].sort();
      const result = sortSmall(items, compareCodeUnits);
      assert.equal(result, items, 'the same array');
      assert.deepEqual(result, expected, `length ${length}`);
    }
  }
});

test('equal keys keep their order (the insertion sort is stable, as the built-in sort is)', () => {
  const items = [
    ['b', 1],
    ['a', 2],
    ['b', 3],
    ['a', 4],
  ] as Array<[string, number]>;
  assert.deepEqual(
    sortSmall(items, (x, y) => compareCodeUnits(x[0], y[0])).map((x) => x[1]),
    [2, 4, 1, 3],
  );
});

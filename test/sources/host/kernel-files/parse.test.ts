import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fields } from '../../../../src/sources/host/kernel-files/parse.ts';

test('fields splits on runs of whitespace and gives no empty field, also for an empty or blank line', () => {
  assert.deepEqual(fields('  cpu0  12 \t 34\n'), ['cpu0', '12', '34']);
  assert.deepEqual(fields('one'), ['one']);
  assert.deepEqual(fields(''), []);
  assert.deepEqual(fields(' \t \n'), []);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogfmtValue } from '../src/log.ts';

test('logfmt values carry no raw control or invisible character (C1 controls and bidi overrides included)', () => {
  assert.equal(formatLogfmtValue('plain'), 'plain');
  assert.equal(formatLogfmtValue('two words'), '"two words"');
  assert.equal(formatLogfmtValue('a\u009b31m\u202eb'), '"a\\u009b31m\\u202eb"');
  assert.doesNotMatch(formatLogfmtValue({ v: '\u0085\u200f' }), /[\u0000-\u001f\u007f-\u009f\u200f]/);
});

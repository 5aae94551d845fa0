import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutExcerpt, quoteExcerpt } from '../src/excerpt.ts';

test('an excerpt is cut, says how long the whole was, and quotes no control or invisible character raw', () => {
  assert.equal(quoteExcerpt('plain'), '"plain"');
  assert.equal(quoteExcerpt('a\u0007\u001b[2J\u007f\u009b\u202e\u2028\ufeff"\\'), '"a\\u0007\\u001b[2J\\u007f\\u009b\\u202e\\u2028\\ufeff\\"\\\\"');
  assert.equal(quoteExcerpt('x'.repeat(8_000_000), 4), '"xxxx"... (8000000 characters)');
  assert.equal(quoteExcerpt('\ud800'), '"\\ud800"', 'a lone surrogate is escaped');
  assert.equal(cutExcerpt('abcdef', 3), 'abc... (6 characters)');
  assert.equal(cutExcerpt('abc', 3), 'abc');
});

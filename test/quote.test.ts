import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutInput, displayName, quoteInput } from '../src/quote.ts';

test('quoted input is cut, marked when cut, and holds no control or invisible character raw', () => {
  assert.equal(quoteInput('plain'), '"plain"');
  assert.equal(
    quoteInput('a\u0007\u001b[2J\u007f\u009b\u202e\u2028\ufeff\u200b\u00ad"\\'),
    '"a\\u0007\\u001b[2J\\u007f\\u009b\\u202e\\u2028\\ufeff\\u200b\\u00ad\\"\\\\"',
  );
  assert.equal(quoteInput('x'.repeat(8_000_000), 4), '"xxxx"…');
  assert.equal(quoteInput('\ud800'), '"\\ud800"', 'a lone surrogate is escaped');
  assert.equal(cutInput('abcdef', 3), 'abc…');
  assert.equal(cutInput('abc', 3), 'abc');
});

test('a plain name is shown as is, anything else quoted', () => {
  assert.equal(displayName('exporter.app'), 'exporter.app');
  assert.equal(displayName('bad\u0007name'), '"bad\\u0007name"');
  assert.equal(displayName('n'.repeat(500)), `"${'n'.repeat(100)}"…`);
});

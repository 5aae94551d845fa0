import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFloat, parseFloatStrict } from '../../src/model/format-float.ts';

test('formatFloat matches Go strconv.FormatFloat(v, g, -1, 64) with client_golang special cases', () => {
  const cases: Array<[number, string]> = [
    [0, '0'],
    [-0, '0'],
    [1, '1'],
    [-1, '-1'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [0.21, '0.21'],
    [329204, '329204'],
    [999999, '999999'],
    [1e6, '1e+06'],
    [1150976, '1.150976e+06'],
    [1.6042172416e10, '1.6042172416e+10'],
    [1.305e-6, '1.305e-06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [123.456, '123.456'],
    [-2.5, '-2.5'],
    [1e21, '1e+21'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [0.1 + 0.2, '0.30000000000000004'],
    [100, '100'],
    [1e100, '1e+100'],
  ];
  for (const [v, want] of cases) assert.equal(formatFloat(v), want, `formatFloat(${v})`);
});

test('parseFloatStrict accepts the text format forms and rejects the rest', () => {
  assert.equal(parseFloatStrict('1.5e+06'), 1.5e6);
  assert.equal(parseFloatStrict('+Inf'), Infinity);
  assert.equal(parseFloatStrict('-Inf'), -Infinity);
  assert.ok(Number.isNaN(parseFloatStrict('NaN')!));
  assert.equal(parseFloatStrict('-0.5'), -0.5);
  assert.equal(parseFloatStrict('.5'), 0.5);
  for (const bad of ['', ' 1', '0x10', 'Infinity', '1,5', 'abc', '1e', '--1']) assert.equal(parseFloatStrict(bad), undefined, bad);
});

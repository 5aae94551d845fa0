import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupPath, parseGroupPath } from '../../src/sinks/pushgateway-path.ts';

test('plain values stay readable, job first then sorted labels', () => {
  assert.equal(groupPath({ instance: 'box-1', job: 'node', site: 'paris' }), '/metrics/job/node/instance/box-1/site/paris');
});

test("values with '/', empty values and other characters use @base64", () => {
  const p = groupPath({ job: 'a/b', instance: '', site: 'é x' });
  assert.equal(p, `/metrics/job@base64/${Buffer.from('a/b').toString('base64url')}/instance@base64/=/site@base64/${Buffer.from('é x').toString('base64url')}`);
  assert.deepEqual(parseGroupPath(p), { job: 'a/b', instance: '', site: 'é x' });
});

test('a group needs a job', () => {
  assert.throws(() => groupPath({ instance: 'x' }), /job/);
});

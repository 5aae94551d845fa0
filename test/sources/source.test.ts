import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrder, type Collected, type Source } from '../../src/sources/source.ts';

function source(id: string, waitsOnNetwork: boolean, started: string[]): Source {
  return {
    id,
    job: id,
    timeoutSeconds: 1,
    ...(waitsOnNetwork ? { waitsOnNetwork } : {}),
    async collect(): Promise<Collected> {
      started.push(id);
      return { families: [], samplesScraped: 0 };
    },
  };
}

test('a cycle starts the sources that wait on the network first, each group in configuration order', () => {
  const started: string[] = [];
  const sources = [source('host', false, started), source('exporter.a', true, started), source('exporter.b', true, started), source('self', false, started)];
  assert.deepEqual(startOrder(sources), [1, 2, 0, 3]);
  assert.deepEqual(startOrder([sources[0]!, sources[3]!]), [0, 1], 'no exporter: configuration order');
  assert.deepEqual(startOrder([]), []);
});

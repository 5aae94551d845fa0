import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingPeers, startPushgateway } from './servers.ts';

const skip = missingPeers('pushgateway');

test('a real Pushgateway starts on a random loopback port and stops', { skip }, async () => {
  const gw = await startPushgateway();
  try {
    const res = await fetch(gw.url + '/-/healthy');
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  } finally {
    await gw.stop();
  }
});

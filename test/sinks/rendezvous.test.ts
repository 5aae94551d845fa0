import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityKey, rendezvousOrder } from '../../src/sinks/rendezvous.ts';

const gateways = ['http://gw1:9091', 'http://gw2:9091', 'http://gw3:9091'];
const boxes = Array.from({ length: 2000 }, (_, i) => identityKey({ instance: `box-${i}`, site: 'eu' }));

test('the order is deterministic, total, and independent of how the gateways or labels are listed', () => {
  const key = identityKey({ instance: 'a', site: 'x' });
  const order = rendezvousOrder(gateways, key);
  assert.deepEqual([...order].sort(), [...gateways].sort());
  assert.deepEqual(rendezvousOrder([...gateways].reverse(), key), order);
  assert.equal(identityKey({ site: 'x', instance: 'a' }), key);
  assert.notEqual(identityKey({ instance: 'a', site: 'y' }), key, 'static labels are part of the identity');
});

test('boxes spread evenly over the gateways', () => {
  const counts = new Map<string, number>();
  for (const b of boxes) counts.set(rendezvousOrder(gateways, b)[0]!, (counts.get(rendezvousOrder(gateways, b)[0]!) ?? 0) + 1);
  for (const g of gateways) assert.ok(Math.abs((counts.get(g) ?? 0) - boxes.length / 3) < boxes.length * 0.05, `${g}: ${counts.get(g)}`);
});

test('adding a gateway moves about 1/N of the boxes, all of them to the new one', () => {
  const bigger = [...gateways, 'http://gw4:9091'];
  let moved = 0;
  for (const b of boxes) {
    const before = rendezvousOrder(gateways, b)[0];
    const after = rendezvousOrder(bigger, b)[0];
    if (before !== after) {
      moved++;
      assert.equal(after, 'http://gw4:9091');
    }
  }
  assert.ok(Math.abs(moved - boxes.length / 4) < boxes.length * 0.05, `moved ${moved} of ${boxes.length}`);
});

test('removing a gateway moves only its boxes, each to its own second choice', () => {
  for (const b of boxes) {
    const order = rendezvousOrder(gateways, b);
    const smaller = rendezvousOrder(
      gateways.filter((g) => g !== 'http://gw2:9091'),
      b,
    );
    assert.equal(smaller[0], order[0] === 'http://gw2:9091' ? order[1] : order[0]);
  }
});

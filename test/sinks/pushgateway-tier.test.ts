import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GIVE_UP_MS, MAX_HOLD_FACTOR, parseSavedTier, Tier } from '../../src/sinks/pushgateway-tier.ts';

const A = 'http://a';
const B = 'http://b';
const C = 'http://c';
const timings = { failoverAfterMs: 2000, failbackAfterMs: 5000 };

test('failover after the grace period of failures counted from the last good push, to the next gateway', () => {
  const t = new Tier([A, B, C], timings, undefined, 0);
  assert.equal(t.active, A);
  assert.equal(t.recordPush('ok', 0), undefined);
  assert.equal(t.recordPush('down', 1000), undefined);
  assert.equal(t.recordPush('unknown', 1500), undefined);
  assert.deepEqual(t.recordPush('down', 2000), { from: A, to: B, reason: 'failover' });
  assert.equal(t.active, B);
  // The next one fails too: its own grace, then on to the third.
  assert.equal(t.recordPush('down', 3000), undefined);
  assert.deepEqual(t.recordPush('down', 5000), { from: B, to: C, reason: 'failover' });
});

test('a failover goes to the first gateway that answers the probe; with none, the box stays and moves as soon as one does', () => {
  const t = new Tier([A, B, C], timings, undefined, 0);
  t.recordPush('down', 0);
  assert.equal(t.failoverDue('down', 2000), true);
  assert.deepEqual(t.failoverCandidates(2000), [B, C]);
  assert.deepEqual(
    t.recordPush('down', 2000, (url) => url === C),
    { from: A, to: C, reason: 'failover' },
    'a dead next gateway is skipped, not tried for a grace',
  );
  const u = new Tier([A, B, C], timings, undefined, 0);
  u.recordPush('down', 0);
  assert.equal(
    u.recordPush('down', 2000, () => false),
    undefined,
    'nowhere healthy to go',
  );
  assert.equal(u.active, A);
  assert.equal(u.failoverDue('down', 3000), true, 'still due next cycle: the failing time is kept');
  assert.deepEqual(
    u.recordPush('down', 3000, (url) => url === B),
    { from: A, to: B, reason: 'failover' },
  );
});

test('when the whole tier fails, the box goes through it once and stays, instead of circling', () => {
  const t = new Tier([A, B, C], timings, undefined, 0);
  let now = 0;
  t.recordPush('down', now);
  assert.equal(t.recordPush('down', (now += timings.failoverAfterMs))?.to, B);
  t.recordPush('down', now);
  assert.equal(t.recordPush('down', (now += timings.failoverAfterMs))?.to, C);
  t.recordPush('down', now);
  assert.deepEqual(t.failoverCandidates((now += timings.failoverAfterMs)), [], 'A and B were left failing within their hold');
  const leftA = timings.failoverAfterMs;
  for (; now < leftA + timings.failbackAfterMs; now += 1000) assert.equal(t.recordPush('down', now), undefined);
  // The first gateway it left is a candidate again once its hold has passed since the box left it.
  assert.deepEqual(t.failoverCandidates(now), [A]);
  assert.deepEqual(t.recordPush('down', now), { from: C, to: A, reason: 'failover' });
});

test('4xx answers (health ok) and recoveries within the grace period never move the box', () => {
  const t = new Tier([A, B], timings, undefined, 0);
  for (let now = 0; now < 10_000; now += 1000) assert.equal(t.recordPush(now % 2000 === 0 ? 'ok' : 'down', now), undefined);
  const single = new Tier([A], timings, undefined, 0);
  for (let now = 0; now < 10_000; now += 1000) assert.equal(single.recordPush('down', now), undefined, 'a tier of one has nowhere to go');
});

test('failback only after failback_after of unbroken healthy probes of a preferred gateway', () => {
  const t = new Tier([A, B, C], timings, undefined, 0);
  t.recordPush('down', 0);
  t.recordPush('down', 2000);
  assert.equal(t.active, B);
  assert.deepEqual(t.probeTargets(), [A]);
  t.recordProbe(A, true, 3000);
  assert.equal(t.failback(7000), undefined);
  t.recordProbe(A, false, 7000); // a flap restarts the count
  t.recordProbe(A, true, 8000);
  assert.equal(t.failback(12_000), undefined);
  assert.deepEqual(t.failback(13_000), { from: B, to: A, reason: 'failback' });
  assert.deepEqual(t.probeTargets(), []);
});

test('groups are remembered per gateway; every gateway but the active one is to be cleaned', () => {
  const t = new Tier([A, B], timings, undefined, 0);
  t.pushed(A, '/metrics/job/x');
  t.recordPush('down', 0);
  t.recordPush('down', 2000);
  t.pushed(B, '/metrics/job/x');
  assert.deepEqual(t.cleanupTargets(), [A]);
  assert.equal(t.deleted(A, '/metrics/job/x', 3000), true);
  assert.deepEqual(t.cleanupTargets(), []);
  assert.deepEqual(t.save(), { active: B, preferred: A, gateways: { [B]: { groups: ['/metrics/job/x'] } } });
});

test('after a write went unanswered, DELETEs sent within failover_after of it do not count: a late write may land after them', () => {
  const t = new Tier([A, B], timings, undefined, 0);
  t.pushed(A, '/g');
  t.unanswered(A, 1000);
  t.recordPush('down', 1000);
  t.recordPush('down', 3000);
  assert.equal(t.active, B);
  assert.equal(t.deleted(A, '/g', 2999), false);
  assert.deepEqual(t.cleanupTargets(), [A], 'deleted again next cycle');
  assert.equal(t.deleted(A, '/g', 1000 + timings.failoverAfterMs), true);
  assert.deepEqual(t.cleanupTargets(), []);
});

test('a gateway that fails again soon after the box failed back to it doubles its hold, up to a cap; a stable return resets it', () => {
  const t = new Tier([A, B], timings, undefined, 0);
  let now = 0;
  const failOver = (): void => {
    t.recordPush('down', now);
    now += timings.failoverAfterMs;
    assert.equal(t.recordPush('down', now)?.reason, 'failover');
  };
  /** Probes A healthy from now on; returns how long it took the box to fail back. */
  const failBack = (): number => {
    const from = now;
    t.recordProbe(A, true, now);
    while (!t.failback(now)) now += 1000;
    return now - from;
  };
  failOver();
  assert.equal(failBack(), timings.failbackAfterMs);
  failOver(); // a flap: back, and failing again before it proved stable
  assert.equal(failBack(), 2 * timings.failbackAfterMs);
  for (let i = 0; i < 10; i++) {
    failOver();
    failBack();
  }
  failOver();
  assert.equal(failBack(), MAX_HOLD_FACTOR * timings.failbackAfterMs);
  // Stable for the whole hold: the next failover is a new incident with the plain hold.
  t.recordPush('ok', now);
  now += MAX_HOLD_FACTOR * timings.failbackAfterMs;
  t.recordPush('ok', now);
  failOver();
  assert.equal(failBack(), timings.failbackAfterMs);
});

test('a restart during a failover stays on the failover gateway and still cleans up the preferred one', () => {
  const saved = parseSavedTier(JSON.parse(JSON.stringify({ active: B, preferred: A, gateways: { [A]: { groups: ['/g'] }, [B]: { groups: ['/g'] } } })));
  const t = new Tier([A, B], timings, saved, 0);
  assert.equal(t.active, B);
  assert.equal(t.initialMove, undefined);
  assert.deepEqual(t.cleanupTargets(), [A]);
  assert.deepEqual(t.probeTargets(), [A]);
});

test('a changed tier moves a box that was home to its new first choice at once, and drained gateways are cleaned, then given up', () => {
  const saved = parseSavedTier({ active: A, preferred: A, gateways: { [A]: { groups: ['/g'] } } });
  const t = new Tier([C, B], timings, saved, 1000);
  assert.equal(t.active, C);
  assert.deepEqual(t.initialMove, { from: A, to: C, reason: 'tier' });
  assert.deepEqual(t.cleanupTargets(), [A]);
  assert.deepEqual(t.save().gateways[A], { groups: ['/g'], leftMs: 1000 });
  assert.deepEqual(t.giveUp(1000 + GIVE_UP_MS - 1), []);
  assert.deepEqual(t.giveUp(1000 + GIVE_UP_MS), [A]);
  assert.deepEqual(t.cleanupTargets(), []);
});

test("the single-gateway state file of earlier releases is read as that gateway's groups", () => {
  const saved = parseSavedTier({ url: A, groups: ['/g1', '/g2'] });
  assert.deepEqual(saved, { active: A, preferred: A, gateways: { [A]: { groups: ['/g1', '/g2'] } } });
  const t = new Tier([A], timings, saved, 0);
  assert.deepEqual([...t.groupsOn(A)], ['/g1', '/g2']);
  assert.equal(parseSavedTier({ something: 'else' }), undefined);
});

/**
 * The fleet drill without a Pushgateway tier (`--gateways 0`, remote write
 * only): the boxes get no tier section, and a scenario that needs a tier is
 * refused before anything starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxConfigText, boxSpec } from '../../scripts/fleet/box-config.ts';
import { runDrill } from '../../scripts/fleet/drill.ts';

const targets = {
  intervalSeconds: 60,
  receivers: { vm: 'http://127.0.0.1:1/api/v1/write' },
  configServer: 'http://127.0.0.1:2',
  trustedKeysFile: '/tmp/fleet/trusted-keys.pem',
  remoteConfigIntervalSeconds: 60,
  failoverSeconds: 360,
  failbackSeconds: 360,
};

test('a box of a fleet without gateways has no Pushgateway tier, one with gateways has it', () => {
  const box = boxSpec('/tmp/fleet', 1);
  const without = boxConfigText(box, { ...targets, gateways: [] }, 'http://127.0.0.1:3');
  assert.doesNotMatch(without, /\[pushgateway/);
  assert.match(without, /\[remote_write\.vm\]/);
  assert.match(without, /\[remote_config\][^[]*\ntrusted_keys = \/tmp\/fleet\/trusted-keys\.pem\n/, 'the boxes take signed layers only');
  assert.match(
    boxConfigText(box, { ...targets, gateways: ['http://127.0.0.1:4'] }, 'http://127.0.0.1:3'),
    /\[pushgateway\.tier\]\nurl\[\] = http:\/\/127\.0\.0\.1:4\n/,
  );
});

test('the drill refuses the gateway scenario without gateways, before starting anything', async () => {
  await assert.rejects(
    runDrill({
      boxes: 1,
      intervalSeconds: 5,
      workers: 1,
      gateways: 0,
      steadySeconds: 1,
      outageSeconds: 1,
      gatewayOutageSeconds: 1,
      remoteConfigIntervalSeconds: 1,
      patienceSeconds: 1,
      scenarios: new Set(['steady', 'gateway']),
      root: '/nonexistent/fleet-must-not-start',
      log: () => undefined,
    }),
    /scenario gateway needs a Pushgateway tier/,
  );
});

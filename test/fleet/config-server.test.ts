/**
 * The drill's configuration server signs every layer with its run's key:
 * a box trusting that key applies each published version, and one trusting
 * another key refuses them, as a real fleet's signed roll-out does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LayerRefusal, readTrustedKeys, verifyLayer } from '../../src/config/remote/layer-signature.ts';
import { ConfigServer } from '../../scripts/fleet/config-server.ts';

test('the configuration server signs each layer version with the key the boxes trust, and answers an unchanged layer with a 304', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-config-server-'));
  const server = new ConfigServer();
  await server.start();
  t.after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const trusted = path.join(dir, 'trusted.pem');
  server.writeTrustedKeys(trusted);
  const keys = readTrustedKeys(trusted);
  const url = `${server.url}/layers/box-0001.ini`;

  const first = await fetch(url);
  assert.equal(first.status, 200);
  assert.equal(verifyLayer(await first.text(), keys), 1);
  const again = await fetch(url, { headers: { 'if-none-match': first.headers.get('etag')! } });
  assert.equal(again.status, 304);

  server.publish();
  const second = await fetch(url, { headers: { 'if-none-match': first.headers.get('etag')! } });
  assert.equal(second.status, 200);
  const text = await second.text();
  assert.equal(verifyLayer(text, keys), 2);

  const other = path.join(dir, 'other.pem');
  writeFileSync(other, generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }));
  assert.throws(
    () => verifyLayer(text, readTrustedKeys(other)),
    (err: unknown) => err instanceof LayerRefusal && err.reason === 'unknown_key',
  );
});

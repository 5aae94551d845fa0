import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { gzipBody } from '../../src/http/gzip.ts';

test('gzipBody: what it compresses comes back byte for byte, text or bytes, and exposition text shrinks to a fifth or less', () => {
  const text = readFileSync(new URL('../fixtures/node_exporter/collector/fixtures/e2e-output.txt', import.meta.url), 'utf8');
  const packed = gzipBody(text);
  assert.equal(gunzipSync(packed).toString('utf8'), text);
  assert.ok(packed.length * 5 < Buffer.byteLength(text), `${packed.length} bytes from ${Buffer.byteLength(text)}`);
  const bytes = Buffer.from([0, 1, 2, 255, 254]);
  assert.deepEqual(gunzipSync(gzipBody(bytes)), bytes);
  assert.equal(gunzipSync(gzipBody('')).length, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimMallocArenas } from '../src/malloc-trim.ts';
import { nativeAddonSkip } from './sources/host/native-skip.ts';

function rssAnonBytes(): number {
  return Number(/^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
}

test('after buffers outside the V8 heap are freed, the trim gives their pages back to the kernel', (t) => {
  const skip = nativeAddonSkip();
  if (skip) {
    t.skip(skip);
    return;
  }
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  trimMallocArenas();
  // 32 MiB of 16 KiB backing stores (malloc'd, below its mmap threshold), all freed but the last one,
  // which keeps the arena's top in use: only a trim inside the arena can release the rest.
  let buffers: Buffer[] = Array.from({ length: 2048 }, () => Buffer.allocUnsafeSlow(16 * 1024));
  const last = buffers[buffers.length - 1]!;
  buffers = [];
  gc();
  gc();
  const before = rssAnonBytes();
  assert.equal(trimMallocArenas(), true);
  const released = before - rssAnonBytes();
  assert.ok(released >= 4 * 1024 * 1024, `released ${released} bytes`);
  assert.equal(last.length, 16 * 1024);
});

test('without the native addon the trim does nothing', () => {
  assert.equal(
    trimMallocArenas(() => {
      throw new Error('native addon not loaded: test');
    }),
    false,
  );
});

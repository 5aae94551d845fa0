import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os, { release } from 'node:os';
import path from 'node:path';
import { bundle } from '../scripts/lib/build.ts';
import { adviseReadsOfExecutable, alternatePieces, mappingsOf, TEXT_PIECE_BYTES, textReadsAheadDespiteAdvice } from '../src/executable-pages.ts';
import type { NativeAddon } from '../src/sources/host/machinery/native.ts';
import { createLogger, setLogSink } from '../src/log.ts';
import { nativeAddon } from '../src/sources/host/machinery/native.ts';
import { nativeAddonSkip } from './sources/host/native-skip.ts';
import { adviceMissing, isText, type SmapsMapping, smapsOf } from './helpers/smaps.ts';

/** An addon that records the madvise calls instead of making them. */
function recordingAddon(calls: [number, number, number][]): () => NativeAddon {
  return () => ({ madvise: (start: number, length: number, advice: number) => void calls.push([start, length, advice]) }) as unknown as NativeAddon;
}

test('mappingsOf finds every mapping of the file, also once replaced on disk, and nothing else', () => {
  const maps = [
    '55d4c5a00000-55d4c5b00000 r--p 00000000 fe:01 1234                       /usr/bin/edgepush',
    '55d4c5b00000-55d4c7000000 r-xp 00100000 fe:01 1234                       /usr/bin/edgepush (deleted)',
    '55d4c7000000-55d4c7001000 rw-p 01600000 fe:01 1234                       /usr/bin/edgepush-old',
    '7f0000000000-7f0000021000 rw-p 00000000 00:00 0 ',
    '7f0000100000-7f0000200000 r--p 00000000 fe:01 99                         /opt/my apps/edgepush',
    '7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]',
  ].join('\n');
  assert.deepEqual(mappingsOf(maps, '/usr/bin/edgepush'), [
    { start: 0x55d4c5a00000, end: 0x55d4c5b00000, executable: false },
    { start: 0x55d4c5b00000, end: 0x55d4c7000000, executable: true },
  ]);
  assert.deepEqual(mappingsOf(maps, '/opt/my apps/edgepush'), [{ start: 0x7f0000100000, end: 0x7f0000200000, executable: false }]);
  assert.deepEqual(mappingsOf(maps, '/usr/bin/other'), []);
});

test('text reads ahead despite MADV_RANDOM from Linux 6.16 on', () => {
  for (const r of ['6.16.0', '6.18.44-fc-v1272', '7.0.1-arch1', '10.2.0']) assert.equal(textReadsAheadDespiteAdvice(r), true, r);
  for (const r of ['6.15.9', '6.1.0-18-amd64', '5.15.0-91-generic', '4.19.0', 'weird']) assert.equal(textReadsAheadDespiteAdvice(r), false, r);
});

test('alternatePieces marks every other piece, the last one cut at the end', () => {
  assert.deepEqual(alternatePieces(0, 10, 2), [
    { start: 2, end: 4 },
    { start: 6, end: 8 },
  ]);
  assert.deepEqual(alternatePieces(0, 7, 2), [
    { start: 2, end: 4 },
    { start: 6, end: 7 },
  ]);
  assert.deepEqual(alternatePieces(100, 101, 2), []);
});

test('before Linux 6.16 every mapping is advised MADV_RANDOM; from 6.16 on the text is cut into pieces instead', () => {
  const maps = [
    '400000-500000 r--p 00000000 fe:01 1 /x/edgepush',
    '500000-580000 r-xp 00100000 fe:01 1 /x/edgepush',
    '600000-601000 rw-p 00200000 fe:01 1 /x/edgepush',
  ].join('\n');
  const old: [number, number, number][] = [];
  assert.deepEqual(adviseReadsOfExecutable({ addon: recordingAddon(old), maps: () => maps, executable: '/x/edgepush', kernelRelease: '6.1.0-18-amd64' }), {
    mappings: 3,
    bytes: 0x100000 + 0x80000 + 0x1000,
    textMappings: 0,
    textPieces: 0,
  });
  assert.deepEqual(old, [
    [0x400000, 0x100000, 1],
    [0x500000, 0x80000, 1],
    [0x600000, 0x1000, 1],
  ]);
  const recent: [number, number, number][] = [];
  assert.deepEqual(adviseReadsOfExecutable({ addon: recordingAddon(recent), maps: () => maps, executable: '/x/edgepush', kernelRelease: '6.18.4' }), {
    mappings: 2,
    bytes: 0x100000 + 0x1000,
    textMappings: 1,
    textPieces: 4,
  });
  assert.deepEqual(recent, [
    [0x400000, 0x100000, 1],
    [0x500000 + TEXT_PIECE_BYTES, TEXT_PIECE_BYTES, 16],
    [0x500000 + 3 * TEXT_PIECE_BYTES, TEXT_PIECE_BYTES, 16],
    [0x600000, 0x1000, 1],
  ]);
});

test("the running executable's mappings are advised as this kernel needs (VmFlags and mappings in /proc/self/smaps)", (t) => {
  const skip = nativeAddonSkip();
  if (skip) {
    t.skip(skip);
    return;
  }
  const before = smapsOf(process.execPath);
  assert.ok(before.length > 0, `no mapping of ${process.execPath} in /proc/self/smaps`);
  assert.ok(
    before.every((m) => !m.flags.includes('rr') && !m.flags.includes('dd')),
    'already advised before the call',
  );
  const textBytes = (mappings: SmapsMapping[]) => mappings.filter(isText).reduce((sum, m) => sum + m.end - m.start, 0);
  assert.notDeepEqual(adviceMissing(before), []);
  const result = adviseReadsOfExecutable();
  assert.ok(result);
  const after = smapsOf(process.execPath);
  assert.deepEqual(adviceMissing(after), []);
  assert.equal(result.mappings, after.filter((m) => !isText(m) || !textReadsAheadDespiteAdvice(release())).length);
  // The text covers the same bytes as before, whatever it was cut into.
  assert.equal(textBytes(after), textBytes(before));
  if (textReadsAheadDespiteAdvice(release())) assert.equal(after.filter(isText).length, result.textPieces);
});

test('adviceMissing tells what is not advised yet, by the kernel release', () => {
  const piece = TEXT_PIECE_BYTES;
  const m = (start: number, end: number, perms: string, ...flags: string[]): SmapsMapping => ({ start, end, perms, flags });
  const cut = [m(0, 4096, 'r--p', 'rr'), m(piece, 2 * piece, 'r-xp'), m(2 * piece, 3 * piece, 'r-xp', 'dd'), m(3 * piece, 3 * piece + 4096, 'r-xp')];
  assert.deepEqual(adviceMissing(cut, '6.18.0'), []);
  assert.equal(adviceMissing(cut, '6.1.0').length, 3);
  assert.deepEqual(adviceMissing([m(0, 4096, 'r--p', 'rr'), m(piece, 3 * piece, 'r-xp', 'rr')], '6.1.0'), []);
  assert.deepEqual(adviceMissing([m(0, 4096, 'r--p', 'rr'), m(piece, 3 * piece, 'r-xp', 'rr')], '6.16.1'), [
    '20000-60000 r-xp: text advised MADV_RANDOM (reclaim would ignore its accesses)',
    '20000-60000 r-xp: a text mapping of 262144 bytes',
  ]);
  assert.deepEqual(adviceMissing([m(piece, 2 * piece, 'r-xp'), m(2 * piece, 3 * piece, 'r-xp')], '6.16.1'), ['40000: neighbours marked alike']);
  assert.deepEqual(adviceMissing([], '6.16.1'), ['no mapping of the executable']);
});

test('a refused madvise is logged with the errno and changes nothing else', (t) => {
  const skip = nativeAddonSkip();
  if (skip) {
    t.skip(skip);
    return;
  }
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    // Not page-aligned: the kernel answers EINVAL.
    const result = adviseReadsOfExecutable({ log: createLogger(), maps: () => '1001-3000 r--p 00000000 fe:01 1 /x/edgepush', executable: '/x/edgepush' });
    assert.equal(result, undefined);
  } finally {
    setLogSink(previous);
  }
  assert.equal(lines.length, 1, lines.join(''));
  assert.match(lines[0]!, /level=warn msg="the executable's pages are read with the disk's readahead: madvise refused".*err="madvise: Invalid argument"/);
  assert.throws(() => nativeAddon().madvise(-1, 4096, 1), TypeError);
});

test('without the native addon nothing is advised and nothing more is logged', () => {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    const result = adviseReadsOfExecutable({
      log: createLogger(),
      addon: () => {
        throw new Error('native addon not loaded: test');
      },
    });
    assert.equal(result, undefined);
  } finally {
    setLogSink(previous);
  }
  assert.deepEqual(lines, []);
});

test("the executable's main script advises before the agent's bundle is compiled, and is small", async () => {
  // Node.js compiles the whole main script before running it: the bundle is compiled only once the advice is given.
  const main = readFileSync(new URL('../src/sea-main.ts', import.meta.url), 'utf8');
  const advice = main.indexOf('adviseReadsOfExecutable();');
  assert.ok(advice > 0 && advice < main.indexOf('compileFunction(source'), 'the advice comes before the compile');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-sea-main-'));
  try {
    await bundle(path.join(dir, 'main.cjs'), '0.0.0', 'test', 'sea-main.ts');
    await bundle(path.join(dir, 'agent.cjs'), '0.0.0', 'test');
    const mainBytes = statSync(path.join(dir, 'main.cjs')).size;
    assert.ok(mainBytes < 64 * 1024, `the main script is ${mainBytes} bytes`);
    assert.ok(statSync(path.join(dir, 'agent.cjs')).size > 10 * mainBytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

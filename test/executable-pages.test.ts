import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { adviseRandomReadsOfExecutable, mappingsOf } from '../src/executable-pages.ts';
import { createLogger, setLogSink } from '../src/log.ts';
import { nativeAddon } from '../src/sources/host/machinery/native.ts';
import { nativeAddonSkip } from './sources/host/native-skip.ts';

/** The VmFlags of each mapping of `file` in /proc/self/smaps. */
function vmFlagsOf(file: string): string[][] {
  const out: string[][] = [];
  let inFile = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+ +(.*)$/.exec(line);
    if (head) inFile = head[1] === file;
    else if (inFile && line.startsWith('VmFlags:')) out.push(line.slice('VmFlags:'.length).trim().split(/\s+/));
  }
  return out;
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
    { start: 0x55d4c5a00000, end: 0x55d4c5b00000 },
    { start: 0x55d4c5b00000, end: 0x55d4c7000000 },
  ]);
  assert.deepEqual(mappingsOf(maps, '/opt/my apps/edgepush'), [{ start: 0x7f0000100000, end: 0x7f0000200000 }]);
  assert.deepEqual(mappingsOf(maps, '/usr/bin/other'), []);
});

test("the running executable's mappings are advised for random reads (VmFlags rr in /proc/self/smaps)", (t) => {
  const skip = nativeAddonSkip();
  if (skip) {
    t.skip(skip);
    return;
  }
  const before = vmFlagsOf(process.execPath);
  assert.ok(before.length > 0, `no mapping of ${process.execPath} in /proc/self/smaps`);
  assert.ok(
    before.every((flags) => !flags.includes('rr')),
    'already advised before the call',
  );
  const result = adviseRandomReadsOfExecutable();
  assert.equal(result?.mappings, before.length);
  const after = vmFlagsOf(process.execPath);
  assert.equal(after.length, before.length);
  for (const flags of after) assert.ok(flags.includes('rr'), flags.join(' '));
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
    const result = adviseRandomReadsOfExecutable({ log: createLogger(), maps: () => '1001-3000 r--p 00000000 fe:01 1 /x/edgepush', executable: '/x/edgepush' });
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
    const result = adviseRandomReadsOfExecutable({
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

test("the CLI's first import is the advice, so it runs before any other module of the bundle is evaluated", () => {
  // esbuild evaluates modules in import order; an import sorted above it would fault the executable in with the disk's readahead first.
  const cli = readFileSync(new URL('../src/cli.ts', import.meta.url), 'utf8');
  const firstImport = /^import\s[^;]*;/m.exec(cli)?.[0];
  assert.equal(firstImport, "import './executable-pages-at-start.ts';");
});

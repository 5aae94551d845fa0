import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../src/state-file.ts';

test('writeFileAtomic creates the directory, replaces the file whole and leaves no temporary file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-state-'));
  try {
    const file = path.join(dir, 'sub', 'state.json');
    writeFileAtomic(file, 'first\n');
    assert.equal(readFileSync(file, 'utf8'), 'first\n');
    writeFileAtomic(file, 'second\n');
    assert.equal(readFileSync(file, 'utf8'), 'second\n');
    assert.deepEqual(readdirSync(path.dirname(file)), ['state.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

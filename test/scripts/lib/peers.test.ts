/**
 * Test files run in parallel and may all extract the same Debian peer at once
 * on a fresh clone: every one of them must end up with the binaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePeer, PEERS_DIR, REPO_ROOT } from '../../../scripts/lib/peers.ts';
import { missingPeers } from '../../helpers/servers.ts';

const skip = missingPeers('prometheus');

test('concurrent first extractions of one peer all succeed (atomic publish)', { skip }, async (t) => {
  ensurePeer('prometheus'); // the .deb is in the shared cache from here on
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-peers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'debs'));
  for (const f of readdirSync(path.join(PEERS_DIR, 'debs')).filter((f) => f.startsWith('prometheus_'))) {
    copyFileSync(path.join(PEERS_DIR, 'debs', f), path.join(dir, 'debs', f));
  }
  const script = `import { ensurePeer } from ${JSON.stringify(path.join(REPO_ROOT, 'scripts', 'lib', 'peers.ts'))}; console.log(ensurePeer('prometheus').promtool);`;
  const runs = Array.from(
    { length: 4 },
    () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { env: { ...process.env, EDGEPUSH_PEERS_DIR: dir } });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d));
        child.stderr.on('data', (d: Buffer) => (out += d));
        child.on('close', (code) => resolve({ code, out }));
      }),
  );
  const results = await Promise.all(runs);
  for (const r of results) assert.equal(r.code, 0, r.out);
  assert.equal(new Set(results.map((r) => r.out.trim())).size, 1, 'every process got the same binary path');
  assert.deepEqual(readdirSync(path.join(dir, 'root')), ['prometheus'], 'no staging directory left behind');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiskQueue, type DiskQueueOptions } from '../../../src/sinks/remote-write/disk-queue.ts';
import { REPO_ROOT } from '../../helpers/fixtures.ts';

function tmpDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function options(dir: string): DiskQueueOptions {
  return { dir, maxBytes: 1 << 20, maxAgeMs: 0 };
}

/** A child process that lives until killed. */
async function spawnChild(t: { after(fn: () => void): void }, command: string, args: string[], readyLine?: string): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  if (readyLine) {
    let out = '';
    child.stdout!.setEncoding('utf8');
    while (!out.includes(readyLine)) {
      const [chunk] = (await Promise.race([once(child.stdout!, 'data'), once(child, 'exit').then(() => [undefined])])) as [string | undefined];
      if (chunk === undefined) throw new Error(`child exited before "${readyLine}": ${out}`);
      out += chunk;
    }
  } else {
    await once(child, 'spawn');
  }
  return child;
}

test('a stale lock naming a live process that is not its holder (a reused pid) is taken over', async (t) => {
  const dir = tmpDir(t);
  DiskQueue.open(options(dir)).close();
  const sleeper = await spawnChild(t, 'sleep', ['600']);
  const lock = path.join(dir, 'lock');
  // As a crashed holder left it before pids could be told apart: a bare pid, now some other program's.
  for (const stale of [`${sleeper.pid}\n`, `${process.ppid}\n`, JSON.stringify({ pid: sleeper.pid, start: '1', boot: 'a-boot-long-ago' })]) {
    writeFileSync(lock, stale);
    const q = DiskQueue.open(options(dir));
    assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid, `taken over from ${stale}`);
    q.close();
  }
});

test('a queue already open in this process is refused until it is closed', (t) => {
  const dir = tmpDir(t);
  const first = DiskQueue.open(options(dir));
  assert.throws(() => DiskQueue.open(options(dir)), /already open in this process/);
  assert.throws(() => DiskQueue.open(options(dir + '/.')), /already open in this process/);
  first.close();
  DiskQueue.open(options(dir)).close();
});

test('a queue held by another live edgepush process is refused; once that process is gone it is taken over', async (t) => {
  const dir = tmpDir(t);
  const module = pathToFileURL(path.join(REPO_ROOT, 'src', 'sinks', 'remote-write', 'disk-queue.ts')).href;
  const script = `import { DiskQueue } from ${JSON.stringify(module)}; DiskQueue.open(${JSON.stringify(options(dir))}); process.stdout.write('locked\\n'); setInterval(() => {}, 1 << 30);`;
  const holder = await spawnChild(t, process.execPath, ['--no-warnings', '--input-type=module', '-e', script], 'locked');
  assert.throws(() => DiskQueue.open(options(dir)), new RegExp(`in use by process ${holder.pid}`));
  const exited = once(holder, 'exit');
  holder.kill('SIGKILL');
  await exited;
  DiskQueue.open(options(dir)).close();
});

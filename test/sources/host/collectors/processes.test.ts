import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesE2E, fixtureText, makeTree, runCollectors, treeFlags } from '../../../helpers/host.ts';
import { parseProcStat } from '../../../../src/sources/host/procfs/processes.ts';

test('processes matches node_exporter on the fixtures', async () => {
  await assertMatchesE2E('processes');
});

test('parseProcStat takes the command between the first ( and the last ) and reads state and threads', () => {
  const line = fixtureText('proc/1/stat').replace('(systemd)', '(a) (b)');
  assert.deepEqual(parseProcStat(line, 'stat'), { state: 'S', numThreads: 1 });
});

test('thread states come from /proc/<pid>/task/*/stat, the main thread reusing the process state', async () => {
  const stat = fixtureText('proc/1/stat');
  const root = makeTree({
    'proc/1/stat': stat,
    'proc/1/task/1/stat': stat,
    'proc/1/task/2/stat': stat.replace(') S ', ') R '),
    'proc/sys/kernel/threads-max': '100\n',
    'proc/sys/kernel/pid_max': '200\n',
  });
  const run = await runCollectors(['processes'], treeFlags(root));
  assert.equal(run.success.get('processes'), 1);
  assert.deepEqual(
    run.byName.get('node_processes_threads_state')!.samples.map((s) => [s.labels['thread_state'], s.value]),
    [
      ['S', 1],
      ['R', 1],
    ],
  );
});

test('a truncated /proc/<pid>/stat fails only the processes collector', async () => {
  const root = makeTree({
    'proc/1/stat': '1 (systemd) S 0 1',
    'proc/sys/kernel/threads-max': '1\n',
    'proc/sys/kernel/pid_max': '1\n',
    'proc/loadavg': '0.1 0.2 0.3 1/2 3\n',
  });
  const run = await runCollectors(['processes', 'loadavg'], treeFlags(root));
  assert.equal(run.success.get('processes'), 0);
  assert.equal(run.success.get('loadavg'), 1);
});

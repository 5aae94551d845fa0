/** The real CLI against an out-of-range duration: check-config and run refuse it at start, a reload keeps the running configuration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, startCli } from './helpers/cli.ts';
import { waitFor } from './helpers/wait.ts';

function box(agentKeys: string): { file: string; flags: string[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-cli-'));
  const file = path.join(dir, 'edgepush.ini');
  writeFileSync(file, configText(dir, agentKeys));
  return { file, flags: [`--config.file=${file}`, `--config.defaults=${dir}/none.ini`] };
}

function configText(dir: string, agentKeys: string): string {
  return `[agent]\nstate_dir = ${dir}/state\n${agentKeys}[identity]\ninstance = cli-box\n[host]\nenabled = false\n`;
}

const REFUSED = /\[agent\] interval: must be between 1s and 1h, got "30d"/;

test('check-config and run refuse interval = 30d, naming the file, section, key and range', async () => {
  const { file, flags } = box('interval = 30d\n');
  const check = await runCli(['check-config', ...flags]);
  assert.equal(check.code, 1, check.stdout);
  assert.ok(check.stderr.includes(`${file}: [agent] interval: `), check.stderr);
  assert.match(check.stderr, REFUSED);
  const run = await runCli(['run', ...flags]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, REFUSED);
  assert.doesNotMatch(run.stderr, /cycle/, 'no cycle ran');
  const flag = await runCli(['check-config', ...box('').flags, '--interval=30d']);
  assert.equal(flag.code, 1);
  assert.match(flag.stderr, /command line: \[agent\] interval: must be between 1s and 1h/);
  // A command's own duration flag has its range too: AbortSignal.timeout would fire at once past 2^31-1 ms.
  const decommission = await runCli(['decommission', ...box('').flags, '--timeout=30d']);
  assert.equal(decommission.code, 2);
  assert.match(decommission.stderr, /flag --timeout: must be between 1s and 1h, got "30d"/);
});

test('a reload to interval = 30d is refused and the agent keeps running on its configuration', async () => {
  const { file, flags } = box('interval = 1s\ntimeout = 500ms\nlog_level = debug\n');
  let log = '';
  const agent = startCli(['run', ...flags], (d) => (log += d));
  try {
    await waitFor('the agent started', () => /msg=starting/.test(log));
    writeFileSync(file, configText(path.dirname(file), 'interval = 30d\n'));
    agent.kill('SIGHUP');
    await waitFor('the reload refused', () => /configuration reload refused/.test(log));
    assert.match(log, /interval: must be between 1s and 1h/);
    // Still cycling at its old interval: more cycles after the refusal.
    const cyclesAt = (log.match(/msg="cycle collected"/g) ?? []).length;
    await waitFor('a cycle after the refused reload', () => (log.match(/msg="cycle collected"/g) ?? []).length > cyclesAt);
    assert.equal(agent.exitCode, null);
  } finally {
    const exited = once(agent, 'exit');
    agent.kill('SIGTERM');
    await exited;
  }
  assert.equal(agent.exitCode, 0, log.slice(-2000));
});

/** Runs the edgepush CLI from source, as `npm run edgepush` does. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './fixtures.ts';
import { runProcess, type RunResult } from './run.ts';

const CLI = path.join(REPO_ROOT, 'src', 'cli.ts');

export type CliResult = RunResult;

/**
 * The environment CLI runs get by default: the test's own, minus what would
 * make `edgepush run` believe it is the systemd service (restart back-off)
 * when the tests themselves run inside a systemd unit.
 */
export function cliEnv(): NodeJS.ProcessEnv {
  const { INVOCATION_ID: _invocation, STATE_DIRECTORY: _state, ...env } = process.env;
  return env;
}

export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return runProcess(process.execPath, ['--no-warnings', CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? cliEnv(),
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

/**
 * Starts the CLI without waiting for it (e.g. `run`): stdout is discarded,
 * stderr (the logfmt log) goes to `onLog` so a test can assert on it, also
 * across restarts.
 */
export function startCli(args: readonly string[], onLog: (text: string) => void, options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const child = spawn(process.execPath, ['--no-warnings', CLI, ...args], { cwd: REPO_ROOT, env: options.env ?? cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8').on('data', onLog);
  return child;
}

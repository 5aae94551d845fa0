/** Runs the edgepush CLI from source, as `npm run edgepush` does. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './fixtures.ts';
import { runProcess, type RunResult } from './run.ts';

export const CLI = path.join(REPO_ROOT, 'src', 'cli.ts');

export type CliResult = RunResult;

export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return runProcess(process.execPath, ['--no-warnings', CLI, ...args], { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, timeoutMs: options.timeoutMs ?? 60_000 });
}

/**
 * Starts the CLI without waiting for it (e.g. `run`): stdout is discarded,
 * stderr (the logfmt log) goes to `onLog` so a test can assert on it, also
 * across restarts.
 */
export function startCli(args: readonly string[], onLog: (text: string) => void, options: { env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const child = spawn(process.execPath, ['--no-warnings', CLI, ...args], { cwd: REPO_ROOT, env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.setEncoding('utf8').on('data', onLog);
  return child;
}

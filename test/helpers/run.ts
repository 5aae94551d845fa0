/** Runs a command to completion, collecting its output; killed when it outlives its timeout. */
import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runProcess(
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, 'stdio'> & { timeoutMs: number; input?: string },
): Promise<RunResult> {
  const { timeoutMs, input, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      // A process the killed one started (nsenter's command in a container, a shell's background job) may still
      // hold the pipes: closing our ends lets 'close' come, so a timeout always ends the wait.
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) {
      // A command that exits without reading its input must not fail the run with EPIPE.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    }
  });
}

/**
 * The drill's control of its worker processes: each worker hosts many boxes
 * (real Agent instances) and answers commands over the fork IPC channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { BoxSpec, FleetTargets } from './box-config.ts';

export interface RemoteWriteStats {
  pendingSamples: number;
  /** Bytes of the queue's files on disk (what cycles the memory holds are not yet written, queue_flush_interval). */
  queueBytes: number;
  oldestAgeSeconds: number;
  sentSamples: number;
  droppedSamples: number;
  okRequests: number;
  retriedRequests: number;
}

export interface BoxStats {
  instance: string;
  cycles: number;
  /** Cycle collected → every sink acknowledged, ms, since the last stats call. */
  pushMs: number[];
  /** The gateway of the tier this box pushes to. */
  gateway: string | undefined;
  remoteWrite: Record<string, RemoteWriteStats>;
  /** Bytes handed to each sink (compressed), by sink name. */
  sentBytes: Record<string, number>;
  /** Remote layers fetched and applied. */
  remoteConfigApplied: number;
}

export interface WorkerStats {
  cpuSeconds: number;
  rssBytes: number;
  boxes: BoxStats[];
}

/** What a box collected in a window: source results (each with its `up`) and samples. */
export interface Collected {
  cycles: number;
  results: number;
  samples: number;
}

export type Command =
  | { type: 'start'; boxes: BoxSpec[]; targets: FleetTargets; epochMs: number }
  | { type: 'stats' }
  | { type: 'collected'; fromMs: number; toMs: number }
  | { type: 'decommission'; instances: string[] }
  | { type: 'stop' };

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  value?: unknown;
}

/** Longest any command may take: a starved or stuck worker fails the command instead of hanging the drill. */
const COMMAND_TIMEOUT_MS = 5 * 60_000;

export class WorkerHandle {
  private readonly child: ChildProcess;
  private readonly logFile: string;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  /** `logFile`: the worker's stdout and stderr (the boxes' logs). */
  constructor(logFile: string) {
    this.logFile = logFile;
    this.child = fork(new URL('./worker.ts', import.meta.url), [], {
      execArgv: ['--no-warnings', '--max-old-space-size=8192'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const log = createWriteStream(logFile);
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    this.child.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(m.error));
    });
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        for (const p of this.pending.values()) p.reject(new Error(`fleet worker exited (${signal ?? code}); see ${logFile}`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  send<T>(command: Command, timeoutMs = COMMAND_TIMEOUT_MS): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`fleet worker ${this.pid}: command ${command.type} got no answer within ${timeoutMs / 1000} s; see ${this.logFile}`));
      }, timeoutMs);
      const settle =
        <A>(fn: (a: A) => void) =>
        (a: A) => {
          clearTimeout(timer);
          fn(a);
        };
      this.pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject) });
      this.child.send({ id, command });
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    // The boxes stop gracefully (each within its shutdown_timeout); a worker that hangs past that is killed.
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await this.send({ type: 'stop' }).catch(() => undefined);
    await this.exited;
    clearTimeout(kill);
  }
}

/**
 * The simulated fleet: N boxes spread over a few worker processes, started
 * with production splay (each Agent's own per-box offset), and read back as
 * one set of box stats.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { boxSpec, type BoxSpec, type FleetTargets } from './box-config.ts';
import { WorkerHandle, type BoxStats, type Collected, type WorkerStats } from './protocol.ts';

export interface FleetStats {
  atMs: number;
  /** CPU seconds of every worker together. */
  cpuSeconds: number;
  rssBytes: number;
  boxes: BoxStats[];
}

export class Fleet {
  readonly specs: BoxSpec[];
  private readonly workers: WorkerHandle[];
  private readonly owner = new Map<string, WorkerHandle>();

  constructor(root: string, boxes: number, workers: number) {
    mkdirSync(root, { recursive: true });
    this.specs = Array.from({ length: boxes }, (_, i) => boxSpec(root, i + 1));
    this.workers = Array.from({ length: Math.max(1, Math.min(workers, boxes)) }, (_, i) => new WorkerHandle(path.join(root, `worker-${i + 1}.log`)));
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  async start(targets: FleetTargets, epochMs: number): Promise<void> {
    await Promise.all(
      this.workers.map((w, i) => {
        const mine = this.specs.filter((_, b) => b % this.workers.length === i);
        for (const s of mine) this.owner.set(s.instance, w);
        return w.send({ type: 'start', boxes: mine, targets, epochMs });
      }),
    );
  }

  async stats(): Promise<FleetStats> {
    const all = await Promise.all(this.workers.map((w) => w.send<WorkerStats>({ type: 'stats' })));
    return {
      atMs: Date.now(),
      cpuSeconds: all.reduce((n, s) => n + s.cpuSeconds, 0),
      rssBytes: all.reduce((n, s) => n + s.rssBytes, 0),
      boxes: all.flatMap((s) => s.boxes),
    };
  }

  /** What each running box collected with a timestamp in (fromMs, toMs], by instance. */
  async collected(fromMs: number, toMs: number): Promise<Map<string, Collected>> {
    const all = await Promise.all(this.workers.map((w) => w.send<Record<string, Collected>>({ type: 'collected', fromMs, toMs })));
    return new Map(all.flatMap((r) => Object.entries(r)));
  }

  /** Stops these boxes and runs `edgepush decommission` for each; the failures, if any. */
  async decommission(instances: string[]): Promise<string[]> {
    const byWorker = new Map<WorkerHandle, string[]>();
    for (const i of instances) byWorker.set(this.owner.get(i)!, [...(byWorker.get(this.owner.get(i)!) ?? []), i]);
    const failures = await Promise.all([...byWorker].map(([w, list]) => w.send<string[]>({ type: 'decommission', instances: list })));
    return failures.flat();
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

/**
 * Automatic revert of a remote layer that breaks pushing. A new layer is on
 * trial (layer-state.ts) from its apply; each cycle's push reports judge it:
 *   bad:  the sinks that pushed under the previous layer and are still
 *         configured all fail (when none is left, no sink pushes at all);
 *   good: not bad, and some sink pushed.
 * N bad cycles in a row ([remote_config] revert_after_failed_cycles) restore
 * the last known-good layer and refuse the bad one for good; N good cycles in
 * a row make the layer the known-good one. The previous layer's sinks are
 * what it is judged against, so a layer for a box that never pushed (nothing
 * to lose) is never reverted.
 */
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log.ts';
import type { PushReport } from '../../model/batch.ts';
import { StateLog } from '../../state-log.ts';
import { describe, LayerState, type LayerId, type Trial } from './layer-state.ts';
import { layerStatus, remoteConfigMetrics } from './fetcher.ts';

export interface RevertWatchOptions {
  cacheFile: string;
  /** revert_after_failed_cycles: 0 never reverts (a layer is known-good after its first cycle). */
  afterCycles: number;
  /** Applies the restored layer: the agent's reload. */
  reload: () => void;
  log: Logger;
  registry: Registry;
}

export class RevertWatch {
  readonly layers: LayerState;
  private readonly options: RevertWatchOptions;
  /** Sinks whose last push succeeded: the baseline a new layer is judged against. */
  private working: string[] = [];
  private readonly states: StateLog;
  private judged: string | undefined;
  private bad = 0;
  private good = 0;

  constructor(options: RevertWatchOptions) {
    this.options = options;
    this.layers = new LayerState(options.cacheFile);
    this.states = new StateLog(options.log);
  }

  /** The sinks whose last push succeeded: a new layer's trial is judged against them. */
  get pushingSinks(): readonly string[] {
    return this.working;
  }

  /** One cycle's push reports; `startedMs` tells which layer the cycle ran on. */
  observe(startedMs: number, reports: ReadonlyMap<string, PushReport>): void {
    this.working = [...reports].filter(([, r]) => r.ok).map(([name]) => name);
    try {
      this.judge(startedMs, reports);
      this.states.report('state', undefined);
    } catch (err) {
      // The state directory is unwritable: the layer stays as it is, and the agent keeps running.
      this.states.report(
        'state',
        `cannot keep the remote configuration trial in ${path.dirname(this.options.cacheFile)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }

  private judge(startedMs: number, reports: ReadonlyMap<string, PushReport>): void {
    const trial = this.layers.trial();
    if (!trial || startedMs < trial.appliedAtMs) return;
    if (this.judged !== trial.sha256) {
      this.judged = trial.sha256;
      this.bad = this.good = 0;
    }
    this.layers.cycled();
    const { afterCycles } = this.options;
    if (isBad(trial, reports)) {
      this.bad++;
      this.good = 0;
    } else if (this.working.length > 0) {
      this.good++;
      this.bad = 0;
    }
    if (afterCycles === 0 || this.good >= afterCycles) this.layers.promote();
    else if (this.bad >= afterCycles) this.revert(`every push that worked before fails since it was applied (${this.bad} cycles)`);
  }

  /** Returns to the last known-good layer now (a failing trial, or one that crashed the agent). */
  revert(why: string): void {
    const bad = this.layers.revert();
    if (!bad) return;
    this.reverted(bad, why);
    this.options.reload();
  }

  /** Logs and counts a revert (also one done at start, before the agent ran: see LayerState.recoverFromCrash). */
  reverted(bad: LayerId, why: string): void {
    remoteConfigMetrics(this.options.registry).reverts.inc();
    this.options.log.error(`remote configuration ${describe(bad)} reverted to the last known-good layer; it is never applied again`, { why });
    layerStatus(this.options.registry).running('reverted', this.layers.current()?.id);
  }
}

function isBad(trial: Trial, reports: ReadonlyMap<string, PushReport>): boolean {
  if (trial.baseline.length === 0) return false;
  const kept = trial.baseline.filter((name) => reports.has(name));
  if (kept.length > 0) return kept.every((name) => !reports.get(name)!.ok);
  return ![...reports.values()].some((r) => r.ok);
}

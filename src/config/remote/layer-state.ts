/**
 * What a box remembers about remote configuration layers across restarts,
 * beside the cached layer in the state directory:
 *   remote-config.state.json  the highest version applied (a replayed older
 *                             layer is refused), the versions reverted (never
 *                             applied again), and the layer on trial;
 *   remote-config.good.ini    the last known-good layer, restored by a revert.
 * A layer is on trial from the moment it is applied until it has pushed for
 * [remote_config] revert_after_failed_cycles cycles; a process that starts
 * and finds the trial never completed a cycle (and did not stop on request)
 * crashed with that layer, so the layer is reverted before it is used again.
 * The file is the truth: every operation reads it, so the fetcher, the revert
 * watcher and the start-up check need not share an object.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../state-file.ts';
import { LayerRefusal, layerVersion } from './layer-signature.ts';

const STATE_FILE = 'remote-config.state.json';
const GOOD_FILE = 'remote-config.good.ini';

export interface LayerId {
  version?: number;
  sha256: string;
}

export interface Trial extends LayerId {
  /** Sinks that pushed successfully under the previous layer: the ones the new layer must not break. */
  baseline: string[];
  /** Wall-clock ms: cycles that started earlier ran on the previous layer. */
  appliedAtMs: number;
  /** A cycle completed with this layer: it does not crash the agent at start. */
  cycled: boolean;
  /** The process that applied it stopped on request before any cycle: no crash either. */
  stoppedCleanly: boolean;
}

interface Stored {
  highest?: { version: number; sha256: string };
  refused: LayerId[];
  trial?: Trial;
}

function layerSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function identify(text: string): LayerId {
  let version: number | undefined;
  try {
    version = layerVersion(text);
  } catch {
    // A malformed version line is refused where it matters (the fetch); here it is only a name.
  }
  return { ...(version === undefined ? {} : { version }), sha256: layerSha256(text) };
}

export class LayerState {
  readonly cacheFile: string;
  private readonly stateFile: string;
  private readonly goodFile: string;

  constructor(cacheFile: string) {
    this.cacheFile = cacheFile;
    this.stateFile = path.join(path.dirname(cacheFile), STATE_FILE);
    this.goodFile = path.join(path.dirname(cacheFile), GOOD_FILE);
  }

  /** The layer the box runs on (the cache), if any. */
  current(): { text: string; id: LayerId } | undefined {
    const text = readOptional(this.cacheFile);
    return text === undefined ? undefined : { text, id: identify(text) };
  }

  trial(): Trial | undefined {
    return this.read().trial;
  }

  /** Throws LayerRefusal for a layer that must not replace the running one: reverted before, or older than the highest applied. */
  admit(layer: LayerId): void {
    const { highest, refused } = this.read();
    if (refused.some((r) => r.sha256 === layer.sha256 || (r.version !== undefined && r.version === layer.version))) {
      throw new LayerRefusal('reverted', `layer ${describe(layer)} was reverted before; it is never applied again (publish a higher version)`);
    }
    if (highest === undefined || layer.version === undefined) return;
    if (layer.version < highest.version)
      throw new LayerRefusal('old_version', `layer version ${layer.version} is lower than version ${highest.version}, already applied (a replayed layer?)`);
    if (layer.version === highest.version && layer.sha256 !== highest.sha256)
      throw new LayerRefusal('old_version', `layer version ${layer.version} was already applied with other content: a changed layer needs a higher version`);
  }

  /** Written before the layer is used: a crash while using it is then recognised at the next start. */
  startTrial(layer: LayerId, baseline: readonly string[], nowMs: number): void {
    const stored = this.read();
    if (layer.version !== undefined && (stored.highest === undefined || layer.version > stored.highest.version))
      stored.highest = { version: layer.version, sha256: layer.sha256 };
    // A layer replacing one still on trial is judged against the sinks the last good one had.
    const base = stored.trial?.baseline ?? [...baseline];
    stored.trial = { ...layer, baseline: base, appliedAtMs: nowMs, cycled: false, stoppedCleanly: false };
    this.write(stored);
  }

  /** Records that the trial layer completed a cycle (once). */
  cycled(): void {
    this.markTrial('cycled');
  }

  /** The process stops on request: an unfinished trial is not a crash. */
  stoppedCleanly(): void {
    this.markTrial('stoppedCleanly');
  }

  /** Either mark settles the crash question, so neither is written once the layer has cycled. */
  private markTrial(mark: 'cycled' | 'stoppedCleanly'): void {
    const stored = this.read();
    if (!stored.trial || stored.trial.cycled) return;
    stored.trial[mark] = true;
    this.write(stored);
  }

  /** The trial layer pushed for long enough: it is the one a later revert returns to. */
  promote(): void {
    const stored = this.read();
    const current = readOptional(this.cacheFile);
    if (current !== undefined) writeFileAtomic(this.goodFile, current);
    delete stored.trial;
    this.write(stored);
  }

  /**
   * Returns to the last known-good layer (none: the local files alone) and
   * refuses the trial layer from now on. Returns the layer reverted.
   */
  revert(): LayerId | undefined {
    const stored = this.read();
    const bad = stored.trial;
    if (!bad) return undefined;
    const good = readOptional(this.goodFile);
    if (good === undefined) rmSync(this.cacheFile, { force: true });
    else writeFileAtomic(this.cacheFile, good);
    const id: LayerId = { ...(bad.version === undefined ? {} : { version: bad.version }), sha256: bad.sha256 };
    stored.refused.push(id);
    delete stored.trial;
    this.write(stored);
    return id;
  }

  /**
   * At start: a trial that never completed a cycle in a process that did not
   * stop on request crashed the agent; it is reverted (returned). Otherwise
   * the trial goes on in this process.
   */
  recoverFromCrash(): LayerId | undefined {
    const stored = this.read();
    const trial = stored.trial;
    if (!trial) return undefined;
    const cached = this.current();
    if (!trial.cycled && !trial.stoppedCleanly && cached?.id.sha256 === trial.sha256) return this.revert();
    trial.stoppedCleanly = false;
    this.write(stored);
    return undefined;
  }

  private read(): Stored {
    const text = readOptional(this.stateFile);
    if (text === undefined) return { refused: [] };
    try {
      const parsed = JSON.parse(text) as Partial<Stored>;
      return { ...parsed, refused: Array.isArray(parsed.refused) ? parsed.refused : [] };
    } catch {
      // A damaged record loses the replay protection until the next apply; it must not stop the agent.
      return { refused: [] };
    }
  }

  private write(stored: Stored): void {
    writeFileAtomic(this.stateFile, JSON.stringify(stored) + '\n');
  }
}

export function describe(layer: LayerId): string {
  return layer.version === undefined ? `sha256 ${layer.sha256.slice(0, 12)}` : `version ${layer.version} (sha256 ${layer.sha256.slice(0, 12)})`;
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Staleness: a series that a source exposed last cycle and not this cycle (or a
 * source that went down or was removed) gets Prometheus' stale marker at the
 * cycle's timestamp, so queries stop returning it at once instead of after the
 * 5-minute lookback, exactly as if Prometheus had scraped the source itself.
 */
import type { TimeSeries } from './protobuf.ts';
import { ownCopy } from '../../model/own-copy.ts';
import { seriesKey, type LabelPairs } from './series.ts';

export class StalenessTracker {
  /** source key → series key → labels of the series it sent last. */
  private readonly last = new Map<string, Map<string, LabelPairs>>();
  /** Counts the changes of the set of series (a series or a source came or went): whoever saves the set compares versions. */
  private changes = 0;

  /**
   * Records what `source` sent this cycle and returns stale markers for the
   * series it sent last time but not now. A series it sent last time gets
   * the label array it had then.
   */
  observe(source: string, current: TimeSeries[], atMs: number): TimeSeries[] {
    const previous = this.last.get(source);
    const now = new Map<string, LabelPairs>();
    for (let i = 0; i < current.length; i++) {
      const ts = current[i]!;
      const key = seriesKey(ts.labels as LabelPairs);
      // One label array per series across cycles: the queue's unsent cycles hold one copy, and its block encoder knows the series by identity.
      const same = previous?.get(key);
      // A new series' labels are kept for as long as it lives: copies, not slices of this cycle's body.
      ts.labels = same ?? ownLabels(ts.labels as LabelPairs);
      now.set(key, ts.labels as LabelPairs);
    }
    this.last.set(source, now);
    if (!previous) {
      this.changes++;
      return [];
    }
    const stale: TimeSeries[] = [];
    // forEach, not for-of: no entry array per series.
    previous.forEach((labels, key) => {
      if (!now.has(key)) stale.push(staleMarker(labels, atMs));
    });
    // Same size and nothing gone means the same set.
    if (stale.length > 0 || now.size !== previous.size) this.changes++;
    return stale;
  }

  /** The source is gone (removed from the config): every series it sent last goes stale. */
  forget(source: string, atMs: number): TimeSeries[] {
    const previous = this.last.get(source);
    this.last.delete(source);
    if (!previous) return [];
    this.changes++;
    return [...previous.values()].map((labels) => staleMarker(labels, atMs));
  }

  get version(): number {
    return this.changes;
  }

  sources(): string[] {
    return [...this.last.keys()];
  }

  /** What each source sent last, to carry over a restart. */
  snapshot(): Array<[string, LabelPairs[]]> {
    return [...this.last].map(([source, series]) => [source, [...series.values()]]);
  }

  restore(snapshot: ReadonlyArray<readonly [string, readonly LabelPairs[]]>): void {
    for (const [source, series] of snapshot) {
      const bySeries = new Map<string, LabelPairs>();
      for (const labels of series) bySeries.set(seriesKey(labels), labels);
      this.last.set(source, bySeries);
    }
  }
}

function staleMarker(labels: LabelPairs, atMs: number): TimeSeries {
  return { labels, samples: [{ value: Number.NaN, timestampMs: atMs, stale: true }] };
}

function ownLabels(labels: LabelPairs): LabelPairs {
  const own: LabelPairs = new Array(labels.length);
  for (let i = 0; i < labels.length; i++) own[i] = [ownCopy(labels[i]![0]), ownCopy(labels[i]![1])];
  return own;
}

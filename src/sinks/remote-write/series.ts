/**
 * From the model (MetricFamily) to remote-write series: one series per sample,
 * `__name__` plus the sample's labels plus the source's target labels, sorted.
 */
import type { Labels, MetricFamily } from '../../model/family.ts';
import { encodedSeriesSize, type TimeSeries } from './protobuf.ts';
import { withTargetLabels } from '../../model/target-labels.ts';

export type LabelPairs = Array<readonly [string, string]>;

/**
 * Sorted label pairs for a sample. Target labels (job, instance, static labels)
 * win, as Prometheus applies them with honor_labels off: a sample's own label of
 * that name is kept as `exported_<name>` (see model/target-labels.ts). Empty values are left out since
 * Prometheus treats them as absent.
 */
export function seriesLabels(name: string, labels: Labels, target: Labels): LabelPairs {
  // The same rule as the Pushgateway path (applyTargetLabels): Prometheus keeps
  // a sample's own clashing label as exported_<name> even when the values are equal.
  const merged = withTargetLabels(labels, target);
  merged['__name__'] = name;
  const pairs: LabelPairs = [];
  for (const key of Object.keys(merged).sort(compareNames)) {
    const v = merged[key]!;
    if (v !== '') pairs.push([key, v]);
  }
  return pairs;
}

/** Byte order, which is what Prometheus sorts by (label names are ASCII). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A stable identity for a series, used by the staleness tracker. */
export function seriesKey(labels: LabelPairs): string {
  let key = '';
  for (const [n, v] of labels) key += `${n}\u0000${v}\u0001`;
  return key;
}

/** Every sample of the families as a series; a sample without its own timestamp gets `collectedAtMs`. */
export function familiesToSeries(families: readonly MetricFamily[], target: Labels, collectedAtMs: number): TimeSeries[] {
  const out: TimeSeries[] = [];
  for (const family of families) {
    for (const s of family.samples) {
      out.push({ labels: seriesLabels(s.name, s.labels, target), samples: [{ value: s.value, timestampMs: s.timestampMs ?? collectedAtMs }] });
    }
  }
  return out;
}

export interface BatchLimits {
  maxSamples: number;
  /** Bound on the uncompressed protobuf size of one request. */
  maxBytes: number;
}

/** Splits series into request-sized batches, keeping their order; a single oversized series goes alone. */
export function splitIntoBatches(series: readonly TimeSeries[], limits: BatchLimits): TimeSeries[][] {
  const batches: TimeSeries[][] = [];
  let current: TimeSeries[] = [];
  let samples = 0;
  let bytes = 0;
  for (const ts of series) {
    const n = ts.samples.length;
    const size = encodedSeriesSize(ts);
    if (current.length > 0 && (samples + n > limits.maxSamples || bytes + size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      samples = 0;
      bytes = 0;
    }
    current.push(ts);
    samples += n;
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export function countSamples(series: readonly TimeSeries[]): number {
  let n = 0;
  for (const ts of series) n += ts.samples.length;
  return n;
}

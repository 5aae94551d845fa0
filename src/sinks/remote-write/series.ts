/**
 * From the model (MetricFamily) to remote-write series: one series per sample,
 * `__name__` plus the sample's labels plus the source's target labels, sorted.
 */
import type { Labels, MetricFamily } from '../../model/family.ts';
import { encodedSeriesSize, type TimeSeries } from './protobuf.ts';
import { withTargetLabels } from '../../model/target-labels.ts';
import { compareCodeUnits, sortSmall } from '../../model/sort-small.ts';

export type LabelPairs = Array<readonly [string, string]>;

/**
 * Sorted label pairs for a sample. Target labels (job, instance, static labels)
 * win, as Prometheus applies them with honor_labels off: a sample's own label of
 * that name is kept as `exported_<name>` (see model/target-labels.ts). Empty values are left out since
 * Prometheus treats them as absent.
 */
export function seriesLabels(name: string, labels: Labels, target: Labels): LabelPairs {
  // Runs for every sample of every cycle: no merged object, no built-in sort
  // (model/sort-small.ts) and no iterators, which the interpreter
  // allocates per step (issue 13: the remote-write path was most of a cycle's garbage).
  const pairs: LabelPairs = [];
  for (const key in labels) {
    if (key === '__name__' || Object.hasOwn(target, key)) return seriesLabelsRenaming(name, labels, target);
    const v = labels[key]!;
    if (v !== '') pairs.push([key, v]);
  }
  for (const key in target) {
    const v = target[key]!;
    if (v !== '') pairs.push([key, v]);
  }
  pairs.push(['__name__', name]);
  return sortByName(pairs);
}

/** The rare case: a sample's own label clashes with a target label (or is `__name__`). */
function seriesLabelsRenaming(name: string, labels: Labels, target: Labels): LabelPairs {
  const merged = withTargetLabels(labels, target);
  merged['__name__'] = name;
  const pairs: LabelPairs = [];
  for (const key in merged) {
    const v = merged[key]!;
    if (v !== '') pairs.push([key, v]);
  }
  return sortByName(pairs);
}

function sortByName(pairs: LabelPairs): LabelPairs {
  return sortSmall(pairs, comparePairs);
}

function comparePairs(a: readonly [string, string], b: readonly [string, string]): number {
  return compareCodeUnits(a[0], b[0]);
}

/** A stable identity for a series, used by the staleness tracker. */
export function seriesKey(labels: LabelPairs): string {
  let key = '';
  for (let i = 0; i < labels.length; i++) {
    const pair = labels[i]!;
    key += `${pair[0]}\u0000${pair[1]}\u0001`;
  }
  return key;
}

/** Every sample of the families as a series; a sample without its own timestamp gets `collectedAtMs`. */
export function familiesToSeries(families: readonly MetricFamily[], target: Labels, collectedAtMs: number): TimeSeries[] {
  const out: TimeSeries[] = [];
  for (let f = 0; f < families.length; f++) {
    const samples = families[f]!.samples;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
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
  for (let i = 0; i < series.length; i++) {
    const ts = series[i]!;
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
  for (let i = 0; i < series.length; i++) n += series[i]!.samples.length;
  return n;
}

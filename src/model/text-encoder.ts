import { formatFloat } from './format-float.ts';
import type { MetricFamily, Sample } from './family.ts';

/** Content type of the text exposition format we write. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface EncodeOptions {
  /** Write sample timestamps where present (the Pushgateway rejects them). */
  timestamps?: boolean;
}

function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n'));
}

function escapeLabelValue(value: string): string {
  return value.replace(/[\\\n"]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\"'));
}

/**
 * Encodes families in text format 0.0.4 exactly as client_golang (and so
 * node_exporter) does: families sorted by name, empty families dropped,
 * series sorted by label values, label names sorted with `le`/`quantile` last.
 */
export function encodeText(families: readonly MetricFamily[], options: EncodeOptions = {}): string {
  const sorted = [...families].filter((f) => f.samples.length > 0).sort((a, b) => compareStrings(a.name, b.name));
  const parts: string[] = [];
  for (const family of sorted) {
    if (family.help !== undefined) parts.push(`# HELP ${family.name} ${escapeHelp(family.help)}\n`);
    parts.push(`# TYPE ${family.name} ${family.type}\n`);
    for (const sample of orderSamples(family)) parts.push(encodeSample(sample, options.timestamps ?? false));
  }
  return parts.join('');
}

function encodeSample(sample: Sample, withTimestamp: boolean): string {
  const names = Object.keys(sample.labels);
  let line = sample.name;
  if (names.length > 0) {
    names.sort(compareLabelNames);
    line += '{';
    for (let i = 0; i < names.length; i++) {
      const n = names[i]!;
      if (i > 0) line += ',';
      line += `${n}="${escapeLabelValue(sample.labels[n]!)}"`;
    }
    line += '}';
  }
  line += ' ' + formatFloat(sample.value);
  if (withTimestamp && sample.timestampMs !== undefined) line += ' ' + Math.trunc(sample.timestampMs);
  return line + '\n';
}

/** `le` and `quantile` go last, as client_golang writes them after the metric's own labels. */
function compareLabelNames(a: string, b: string): number {
  const ra = a === 'le' || a === 'quantile' ? 1 : 0;
  const rb = b === 'le' || b === 'quantile' ? 1 : 0;
  if (ra !== rb) return ra - rb;
  return compareStrings(a, b);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface SeriesGroup {
  values: string[];
  samples: Sample[];
  order: number;
}

/** Groups a family's samples into series (a histogram's buckets, sum and count are one) and sorts them. */
function orderSamples(family: MetricFamily): Sample[] {
  const samples = family.samples;
  if (samples.length <= 1) return samples;
  const complex = family.type === 'histogram' || family.type === 'summary';
  const inner = family.type === 'histogram' ? 'le' : 'quantile';
  const groups = new Map<string, SeriesGroup>();
  for (const sample of samples) {
    const names = Object.keys(sample.labels)
      .filter((n) => !(complex && n === inner))
      .sort(compareStrings);
    const values = names.map((n) => sample.labels[n]!);
    const key = complex ? names.map((n, i) => `${n}\u0000${values[i]}`).join('\u0001') : '';
    let group = complex ? groups.get(key) : undefined;
    if (!group) {
      group = { values, samples: [], order: groups.size };
      groups.set(complex ? key : `${groups.size}`, group);
    }
    group.samples.push(sample);
  }
  const list = [...groups.values()].sort(compareGroups);
  const out: Sample[] = [];
  for (const g of list) {
    if (complex && g.samples.length > 1) g.samples.sort((a, b) => innerRank(a, family, inner) - innerRank(b, family, inner));
    for (const s of g.samples) out.push(s);
  }
  return out;
}

function compareGroups(a: SeriesGroup, b: SeriesGroup): number {
  if (a.values.length !== b.values.length) return a.values.length - b.values.length;
  for (let i = 0; i < a.values.length; i++) {
    const c = compareStrings(a.values[i]!, b.values[i]!);
    if (c !== 0) return c;
  }
  const ta = a.samples[0]!.timestampMs;
  const tb = b.samples[0]!.timestampMs;
  if (ta !== undefined && tb !== undefined && ta !== tb) return ta - tb;
  if ((ta === undefined) !== (tb === undefined)) return ta === undefined ? 1 : -1;
  return a.order - b.order;
}

/** Buckets (by le) or quantiles (by quantile) first, then _sum, then _count. */
function innerRank(sample: Sample, family: MetricFamily, inner: string): number {
  if (sample.name === family.name + '_sum') return Number.MAX_VALUE;
  if (sample.name === family.name + '_count') return Infinity;
  const bound = sample.labels[inner];
  const v = bound === undefined ? NaN : Number(bound === '+Inf' ? Infinity : bound);
  return Number.isNaN(v) ? -Infinity : v === Infinity ? Number.MAX_VALUE / 2 : v;
}

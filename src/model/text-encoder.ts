import { formatFloat } from './format-float.ts';
import { ownCopy } from './own-copy.ts';
import type { Labels, MetricFamily, Sample } from './family.ts';
import { compareCodeUnits, sortSmall } from './sort-small.ts';

/** Content type of the text exposition format we write. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface EncodeOptions {
  /** Write sample timestamps where present (the Pushgateway rejects them). */
  timestamps?: boolean;
}

// Tested first: almost no HELP text or label value needs escaping, and then nothing is allocated for it.
const HELP_SPECIAL = /[\\\n]/;
const LABEL_VALUE_SPECIAL = /[\\\n"]/;

function escapeHelp(help: string): string {
  return HELP_SPECIAL.test(help) ? help.replace(/[\\\n]/g, (c) => (c === '\\' ? '\\\\' : '\\n')) : help;
}

function escapeLabelValue(value: string): string {
  return LABEL_VALUE_SPECIAL.test(value) ? value.replace(/[\\\n"]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : '\\"')) : value;
}

/**
 * Encodes families in text format 0.0.4 exactly as client_golang (and so
 * node_exporter) does: families sorted by name, empty families dropped,
 * series sorted by label values, label names sorted with `le`/`quantile` last.
 * It runs for every group of every push: each sample's label names are listed
 * and sorted once, and the text is appended piece by piece to one string
 * (V8 joins the pieces once, when the body is compressed or sent: measured,
 * fewer bytes allocated than collecting the pieces in an array to join).
 */
export function encodeText(families: readonly MetricFamily[], options: EncodeOptions = {}): string {
  const withTimestamps = options.timestamps ?? false;
  const sorted = sortSmall(
    families.filter((f) => f.samples.length > 0),
    compareFamilies,
  );
  let out = '';
  // Indexed loops: the interpreter allocates an iterator result per step of a for-of.
  for (let f = 0; f < sorted.length; f++) {
    const family = sorted[f]!;
    out += familyHeader(family);
    const inner = innerLabel(family);
    const order = inner === undefined ? writeOrderIfSorted(family.samples) : undefined;
    if (order !== undefined) {
      for (let i = 0; i < family.samples.length; i++) out = appendSample(out, family.samples[i]!, order, withTimestamps);
      continue;
    }
    const ordered = orderSeries(family, inner);
    for (let i = 0; i < ordered.length; i++) {
      const series = ordered[i]!;
      if (series.reordered) {
        for (let j = 0; j < series.reordered.length; j++) {
          const s = series.reordered[j]!;
          out = appendSample(out, s, series.labelOrder(s, inner), withTimestamps);
        }
        continue;
      }
      out = appendSample(out, series.first, series.labelOrder(series.first, inner), withTimestamps);
      const more = series.more;
      if (more) for (let j = 0; j < more.length; j++) out = appendSample(out, more[j]!, series.labelOrder(more[j]!, inner), withTimestamps);
    }
  }
  return out;
}

function appendSample(out: string, sample: Sample, names: readonly string[], withTimestamp: boolean): string {
  out = appendLabels(out + sample.name, sample.labels, names);
  out += ' ';
  out += formatFloat(sample.value);
  if (withTimestamp && sample.timestampMs !== undefined) out += ' ' + Math.trunc(sample.timestampMs);
  return out + '\n';
}

/** `{a="x",b="y"}` for `names` of `labels`, in that order; nothing without names. */
function appendLabels(out: string, labels: Labels, names: readonly string[]): string {
  for (let i = 0; i < names.length; i++) {
    out += labelOpening(names[i]!, i === 0);
    out += escapeLabelValue(labels[names[i]!]!);
  }
  return names.length > 0 ? out + '"}' : out;
}

/**
 * A series as the text format writes it with its labels sorted by name, not
 * `le` or `quantile` last: name{a="x",b="y"}. A value has one way to be
 * written, so a series has one such text (the parser's key for duplicates).
 */
export function seriesText(name: string, labels: Labels): string {
  return appendLabels(name, labels, sortSmall(Object.keys(labels), compareCodeUnits));
}

/**
 * `{name="` for a first label, `",name="` for the next ones (closing the
 * value before): one piece where there were three, each `+=` a string of its
 * own (issue 13). Kept for the label names seen, up to a bound (names come
 * from exporters too).
 */
function labelOpening(name: string, first: boolean): string {
  const cache = first ? FIRST_LABEL_OPENINGS : NEXT_LABEL_OPENINGS;
  let opening = cache.get(name);
  if (opening === undefined) {
    opening = first ? `{${name}="` : `",${name}="`;
    if (cache.size < MAX_CACHED_OPENINGS) cache.set(ownCopy(name), ownCopy(opening));
  }
  return opening;
}

const MAX_CACHED_OPENINGS = 2048;

/**
 * A family's `# HELP` and `# TYPE` lines, kept per family name (at most
 * 2,048, as copies of their own) while its HELP text and type stay the same:
 * every family of every group is written each cycle, and these two lines were
 * eight strings of their own each time (issue 13).
 */
function familyHeader(family: MetricFamily): string {
  const kept = FAMILY_HEADERS.get(family.name);
  if (kept !== undefined && kept.help === family.help && kept.type === family.type) return kept.text;
  const text = (family.help === undefined ? '' : `# HELP ${family.name} ${escapeHelp(family.help)}\n`) + `# TYPE ${family.name} ${family.type}\n`;
  if (kept !== undefined || FAMILY_HEADERS.size < MAX_CACHED_HEADERS) {
    const help = family.help === undefined ? undefined : ownCopy(family.help);
    FAMILY_HEADERS.set(ownCopy(family.name), { help, type: family.type, text: ownCopy(text) });
  }
  return text;
}

const MAX_CACHED_HEADERS = 2048;
const FAMILY_HEADERS = new Map<string, { help: string | undefined; type: MetricFamily['type']; text: string }>();
const FIRST_LABEL_OPENINGS = new Map<string, string>();
const NEXT_LABEL_OPENINGS = new Map<string, string>();

/** `le` and `quantile` go last, as client_golang writes them after the metric's own labels. */
function isLastLabel(name: string): boolean {
  return name === 'le' || name === 'quantile';
}

/** The label that tells a histogram's buckets or a summary's quantiles apart within one series. */
function innerLabel(family: MetricFamily): string | undefined {
  return family.type === 'histogram' ? 'le' : family.type === 'summary' ? 'quantile' : undefined;
}

/**
 * One series: a sample, or a histogram's or summary's samples that share
 * every label but the inner one (buckets or quantiles, _sum, _count).
 */
class Series {
  /** The sample that came first: the series is ordered by its labels and timestamp. */
  readonly first: Sample;
  /** The first sample's label names but the inner one, sorted: what series are ordered by. */
  readonly names: string[];
  /** Where the series first appeared, the last tie-break. */
  readonly order: number;
  /** The samples after the first, as they came. */
  more: Sample[] | undefined;
  /** All the samples in the order they are written, when that is not the order they came in. */
  reordered: Sample[] | undefined;
  private encodeOrder: string[] | undefined;
  private encodeOrderWithInner: string[] | undefined;

  constructor(first: Sample, names: string[], order: number) {
    this.first = first;
    this.names = names;
    this.order = order;
  }

  value(i: number): string {
    return this.first.labels[this.names[i]!]!;
  }

  /** Whether `labels` but the inner label are this series' labels. */
  holds(labels: Labels, inner: string | undefined): boolean {
    let count = 0;
    for (const n in labels) if (n !== inner) count++;
    if (count !== this.names.length) return false;
    const own = this.first.labels;
    for (const n of this.names) if (labels[n] !== own[n]) return false;
    return true;
  }

  /** A sample's label names in the order they are written: the series' names, `le` and `quantile` last. */
  labelOrder(sample: Sample, inner: string | undefined): readonly string[] {
    if (inner !== undefined && Object.hasOwn(sample.labels, inner))
      return (this.encodeOrderWithInner ??= writeOrder([...this.names, inner].sort(compareCodeUnits)));
    return (this.encodeOrder ??= writeOrder(this.names));
  }
}

/** Sorted names in the order they are written (`le` and `quantile` moved last); the same array when neither is there. */
function writeOrder(sortedNames: string[]): string[] {
  if (!sortedNames.some(isLastLabel)) return sortedNames;
  return [...sortedNames.filter((n) => !isLastLabel(n)), ...sortedNames.filter(isLastLabel)];
}

/** A sample's label names but `inner`, sorted. */
function seriesNames(labels: Labels, inner: string | undefined): string[] {
  const names = Object.keys(labels);
  if (inner !== undefined) {
    const i = names.indexOf(inner);
    if (i !== -1) names.splice(i, 1);
  }
  return sortSmall(names, compareCodeUnits);
}

function seriesKey(series: Series): string {
  let key = '';
  for (let i = 0; i < series.names.length; i++) key += series.names[i]! + '\u0000' + series.value(i) + '\u0001';
  return key;
}

/**
 * The one label order of samples that all have the same label names and
 * already come sorted, as an exporter's (client_golang's) and most
 * collectors' output does: then they are written as they are, with no series
 * made and no sort (a Series and a names array per sample were a fifth of
 * what encoding allocated, issue 13). Undefined otherwise, and for equal
 * label sets, whose order orderSeries decides.
 */
function writeOrderIfSorted(samples: readonly Sample[]): readonly string[] | undefined {
  if (samples.length === 0) return undefined;
  const names = seriesNames(samples[0]!.labels, undefined);
  for (let i = 1; i < samples.length; i++) {
    const labels = samples[i]!.labels;
    let count = 0;
    for (const n in labels) if (Object.hasOwn(labels, n)) count++;
    if (count !== names.length) return undefined;
    const previous = samples[i - 1]!.labels;
    let c = 0;
    for (let j = 0; j < names.length && c === 0; j++) {
      const value = labels[names[j]!];
      if (value === undefined) return undefined;
      c = compareCodeUnits(previous[names[j]!]!, value);
    }
    if (c >= 0) return undefined;
  }
  return writeOrder(names);
}

/** Groups a family's samples into series (a histogram's buckets, sum and count are one) and sorts them. */
function orderSeries(family: MetricFamily, inner: string | undefined): Series[] {
  if (inner === undefined) {
    // Every sample its own series (the list made at its length: grown by push, it was copied as it grew).
    const samples = family.samples;
    const list = new Array<Series>(samples.length);
    for (let i = 0; i < samples.length; i++) list[i] = new Series(samples[i]!, seriesNames(samples[i]!.labels, undefined), i);
    return sortSmall(list, compareSeries);
  }
  // A series' samples usually come together: the previous series is tried before the index by key.
  const list: Series[] = [];
  let index: Map<string, Series> | undefined;
  let last: Series | undefined;
  const samples = family.samples;
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    let series = last?.holds(sample.labels, inner) ? last : undefined;
    if (!series && list.length > 0) {
      index ??= new Map(list.map((s) => [seriesKey(s), s]));
      const probe = new Series(sample, seriesNames(sample.labels, inner), list.length);
      series = index.get(seriesKey(probe));
      if (!series) {
        list.push(probe);
        index.set(seriesKey(probe), probe);
        last = probe;
        continue;
      }
    }
    if (!series) {
      last = new Series(sample, seriesNames(sample.labels, inner), 0);
      list.push(last);
      continue;
    }
    (series.more ??= []).push(sample);
    last = series;
  }
  for (const series of list) if (series.more) sortInner(series, family, inner);
  return sortSmall(list, compareSeries);
}

function compareFamilies(a: MetricFamily, b: MetricFamily): number {
  return compareCodeUnits(a.name, b.name);
}

function compareSeries(a: Series, b: Series): number {
  if (a.names.length !== b.names.length) return a.names.length - b.names.length;
  for (let i = 0; i < a.names.length; i++) {
    const c = compareCodeUnits(a.value(i), b.value(i));
    if (c !== 0) return c;
  }
  const ta = a.first.timestampMs;
  const tb = b.first.timestampMs;
  if (ta !== undefined && tb !== undefined && ta !== tb) return ta - tb;
  if ((ta === undefined) !== (tb === undefined)) return ta === undefined ? 1 : -1;
  return a.order - b.order;
}

/** A series' samples in order: buckets (by le) or quantiles (by quantile) first, then _sum, then _count; left alone when already so. */
function sortInner(series: Series, family: MetricFamily, inner: string): void {
  const samples = [series.first, ...series.more!];
  let inOrder = true;
  for (let i = 1; i < samples.length && inOrder; i++) inOrder = innerRank(samples[i - 1]!, family, inner) <= innerRank(samples[i]!, family, inner);
  if (inOrder) return;
  series.reordered = samples.sort((a, b) => innerRank(a, family, inner) - innerRank(b, family, inner));
}

function innerRank(sample: Sample, family: MetricFamily, inner: string): number {
  if (isSuffixed(sample.name, family.name, '_sum')) return Number.MAX_VALUE;
  if (isSuffixed(sample.name, family.name, '_count')) return Infinity;
  const bound = sample.labels[inner];
  const v = bound === undefined ? NaN : Number(bound === '+Inf' ? Infinity : bound);
  return Number.isNaN(v) ? -Infinity : v === Infinity ? Number.MAX_VALUE / 2 : v;
}

/** name === base + suffix, without making the concatenation. */
function isSuffixed(name: string, base: string, suffix: string): boolean {
  return name.length === base.length + suffix.length && name.startsWith(base) && name.endsWith(suffix);
}

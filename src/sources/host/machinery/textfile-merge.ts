/**
 * How node_exporter's textfile collector turns the families parsed from
 * several .prom files into one exposition: every series of a family gets
 * the union of the family's label names (missing ones empty), summaries and
 * histograms are rebuilt as client_golang's const metrics (sorted quantiles,
 * a +Inf bucket, _sum and _count always present, counts as uint64), HELP
 * conflicts between files drop the later family and flag an error, and a
 * family without HELP gets "Metric read from <files>".
 */
import { labelsKey, type Labels, type MetricFamily, type Sample } from '../../../model/family.ts';
import { formatFloat } from '../../../model/format-float.ts';
import type { Logger } from '../../../log.ts';
import { cutInput } from '../../../quote.ts';

export interface TextfileFamilies {
  /** The file's path as node_exporter names it (directory joined with the file name). */
  path: string;
  families: MetricFamily[];
}

export interface MergedTextfiles {
  families: MetricFamily[];
  /** A family's HELP differed between files: node_textfile_scrape_error must be 1. */
  helpConflict: boolean;
}

/**
 * Normalizes the families of one parsed file as node_exporter's
 * convertMetricFamily does. Throws (the whole file is then rejected, as
 * expfmt's parser rejects it) on a negative histogram count or bucket.
 */
export function normalizeFileFamilies(families: readonly MetricFamily[], log: Logger): MetricFamily[] {
  // expfmt drops families that have a HELP or TYPE line but no sample.
  return families.filter((f) => f.samples.length > 0).map((f) => normalizeFamily(f, log));
}

/** One metric of client_golang: a plain sample, or a whole summary or histogram with its own labels. */
interface Series {
  labels: Labels;
  samples: Sample[];
}

function normalizeFamily(family: MetricFamily, log: Logger): MetricFamily {
  const series =
    family.type === 'summary'
      ? rebuildSummaries(family)
      : family.type === 'histogram'
        ? rebuildHistograms(family)
        : family.samples.map((s) => ({ labels: s.labels, samples: [s] }));
  const allNames = new Set<string>();
  for (const s of series) for (const n of Object.keys(s.labels)) allNames.add(n);
  const seen = new Set<string>();
  const samples: Sample[] = [];
  for (const s of series) {
    const missing = [...allNames].filter((n) => !Object.hasOwn(s.labels, n));
    const filled: Record<string, string> = { ...s.labels };
    for (const n of missing) filled[n] = '';
    // A repeated series, or two made equal by filling in empty labels: the registry keeps the first.
    const identity = labelsKey(filled);
    if (seen.has(identity)) {
      log.warn('textfile series dropped: it repeats an earlier series of its family', {
        metric: cutInput(family.name),
        labels: cutInput(JSON.stringify(filled), 200),
      });
      continue;
    }
    seen.add(identity);
    for (const sample of s.samples) {
      if (missing.length === 0) samples.push(sample);
      else {
        const labels: Record<string, string> = { ...sample.labels };
        for (const n of missing) labels[n] = '';
        samples.push({ ...sample, labels });
      }
    }
  }
  return { ...family, samples };
}

interface Group {
  labels: Labels;
  inner: Map<number, number>;
  sum: number;
  count: number;
}

/** Groups samples by their labels without `innerLabel`, in order of first appearance, as expfmt's parser does. */
function groupSeries(family: MetricFamily, innerLabel: string): Group[] {
  const groups = new Map<string, Group>();
  for (const sample of family.samples) {
    const labels = withoutLabel(sample.labels, innerLabel);
    const key = labelsKey(labels);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { labels, inner: new Map(), sum: 0, count: 0 }));
    if (sample.name === family.name + '_sum') group.sum = sample.value;
    else if (sample.name === family.name + '_count') group.count = sample.value;
    else {
      const bound = boundValue(sample.labels[innerLabel]);
      // expfmt ignores a quantile or bucket whose bound is NaN; a repeated bound overwrites.
      if (!Number.isNaN(bound)) group.inner.set(bound, sample.value);
    }
  }
  return [...groups.values()];
}

function withoutLabel(labels: Labels, name: string): Labels {
  if (!Object.hasOwn(labels, name)) return labels;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== name) out[k] = v;
  return out;
}

function boundValue(text: string | undefined): number {
  if (text === undefined) return NaN;
  if (/^[+]?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  return Number(text);
}

function rebuildSummaries(family: MetricFamily): Series[] {
  return groupSeries(family, 'quantile').map((g) => {
    const samples: Sample[] = [];
    for (const [q, v] of [...g.inner].sort((a, b) => a[0] - b[0]))
      samples.push({ name: family.name, labels: { ...g.labels, quantile: formatFloat(q) }, value: v });
    samples.push({ name: family.name + '_sum', labels: g.labels, value: g.sum });
    samples.push({ name: family.name + '_count', labels: g.labels, value: summaryCount(g.count) });
    return { labels: g.labels, samples };
  });
}

/** expfmt stores a summary count as uint64(value): truncated. Go's result for negative/NaN is platform-specific; 0 here. */
function summaryCount(v: number): number {
  return Number.isFinite(v) && v >= 0 ? Math.trunc(v) : 0;
}

const UINT64_LIMIT = 2 ** 64;

function rebuildHistograms(family: MetricFamily): Series[] {
  return groupSeries(family, 'le').map((g) => {
    // A count or bucket that is not a uint64 makes expfmt store the whole
    // histogram as a float histogram, whose integer counts (all that
    // node_exporter's const histogram reads) are then 0.
    const values = [g.count, ...g.inner.values()];
    if (values.some((v) => v < 0)) throw new Error(`negative count or bucket population for histogram ${family.name}`);
    const integral = values.every((v) => Number.isInteger(v) && v < UINT64_LIMIT);
    const count = integral ? g.count : 0;
    const samples: Sample[] = [];
    for (const [le, v] of [...g.inner].sort((a, b) => a[0] - b[0]))
      samples.push({ name: family.name + '_bucket', labels: { ...g.labels, le: formatFloat(le) }, value: integral ? v : 0 });
    if (!g.inner.has(Infinity)) samples.push({ name: family.name + '_bucket', labels: { ...g.labels, le: '+Inf' }, value: count });
    samples.push({ name: family.name + '_sum', labels: g.labels, value: g.sum });
    samples.push({ name: family.name + '_count', labels: g.labels, value: count });
    return { labels: g.labels, samples };
  });
}

/**
 * Merges the normalized families of the files, in file order. Two checks
 * come from node_exporter's textfile collector itself (a HELP differing from
 * the first file's drops the family and flags an error); the others from
 * client_golang's registry, which drops, without flagging, a family whose
 * type or effective HELP differs from the first one and a repeated series.
 */
export function mergeTextfiles(files: readonly TextfileFamilies[], log: Logger): MergedTextfiles {
  const helpByName = new Map<string, { first: string; conflicting?: string }>();
  const filesByName = new Map<string, string[]>();
  const accepted: MetricFamily[] = [];
  let helpConflict = false;

  for (const file of files) {
    for (const family of file.families) {
      const seen = helpByName.get(family.name);
      if (seen && ((family.help !== undefined && family.help !== seen.first) || seen.conflicting !== undefined)) {
        helpByName.set(family.name, { first: seen.first, conflicting: family.help ?? '' });
        helpConflict = true;
        log.error('inconsistent metric help text', {
          metric: family.name,
          original_help_text: seen.first,
          new_help_text: family.help,
          file: filesByName.get(family.name)?.[0],
        });
        continue;
      }
      if (family.help !== undefined) helpByName.set(family.name, { first: family.help });
      const paths = filesByName.get(family.name) ?? [];
      paths.push(file.path);
      filesByName.set(family.name, paths);
      accepted.push(family);
    }
  }

  const merged = new Map<string, { family: MetricFamily; identities: Set<string> }>();
  for (const family of accepted) {
    const help = family.help ?? `Metric read from ${filesByName.get(family.name)!.join(', ')}`;
    let entry = merged.get(family.name);
    if (!entry) {
      entry = { family: { name: family.name, help, type: family.type, samples: [] }, identities: new Set() };
      merged.set(family.name, entry);
    } else if (entry.family.type !== family.type || entry.family.help !== help) {
      log.warn('textfile metric family dropped: its type or HELP differs from an earlier file', {
        metric: family.name,
        type: family.type,
        first_type: entry.family.type,
      });
      continue;
    }
    const before = new Set(entry.identities);
    for (const sample of family.samples) {
      const identity = seriesIdentity(sample, family);
      if (before.has(identity)) {
        log.warn('textfile series dropped: an earlier file gave the same series', { metric: family.name, labels: sample.labels });
        continue;
      }
      entry.identities.add(identity);
      entry.family.samples.push(sample);
    }
  }
  return { families: [...merged.values()].map((m) => m.family), helpConflict };
}

/** The labels that make a client_golang metric: a summary's or histogram's samples share them. */
function seriesIdentity(sample: Sample, family: MetricFamily): string {
  const inner = family.type === 'histogram' ? 'le' : family.type === 'summary' ? 'quantile' : '';
  return labelsKey(withoutLabel(sample.labels, inner));
}

/**
 * The one in-memory model every source produces and every sink consumes.
 *
 * Samples are flat (one per exposition line): a histogram family holds its
 * `_bucket`, `_sum` and `_count` samples side by side. That keeps remote write
 * (one series per sample) and the text encoder equally simple.
 */
import { compareCodeUnits, sortSmall } from './sort-small.ts';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export const METRIC_TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Full series name, e.g. `http_duration_seconds_bucket` for a histogram bucket. */
  name: string;
  labels: Labels;
  value: number;
  /** Milliseconds since the epoch; absent means "at collection time". */
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  /** Absent when the source gave no HELP line (distinct from an empty one). */
  help?: string;
  type: MetricType;
  samples: Sample[];
}

export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether `sampleName` is a valid sample name of family `family` of type `type` (no strings or arrays made: it runs for every parsed sample). */
export function belongsToFamily(sampleName: string, family: string, type: MetricType): boolean {
  if (!sampleName.startsWith(family)) return false;
  const suffix = sampleName.length - family.length;
  if (suffix === 0) return type !== 'histogram';
  if (type === 'histogram' && suffix === 7 && sampleName.endsWith('_bucket')) return true;
  if (type !== 'histogram' && type !== 'summary') return false;
  return (suffix === 4 && sampleName.endsWith('_sum')) || (suffix === 6 && sampleName.endsWith('_count'));
}

/**
 * Accumulates families by name. Collectors use it to emit samples without
 * caring whether the family was already started.
 */
export class FamilySet {
  private readonly byName = new Map<string, MetricFamily>();

  /** Adds one sample to family `name`, creating the family on first use. */
  add(name: string, help: string | undefined, type: MetricType, value: number, labels: Labels = {}, timestampMs?: number): void {
    const family = this.family(name, help, type);
    const sample: Sample = timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs };
    family.samples.push(sample);
  }

  gauge(name: string, help: string, value: number, labels: Labels = {}): void {
    this.add(name, help, 'gauge', value, labels);
  }

  counter(name: string, help: string, value: number, labels: Labels = {}): void {
    this.add(name, help, 'counter', value, labels);
  }

  untyped(name: string, help: string, value: number, labels: Labels = {}): void {
    this.add(name, help, 'untyped', value, labels);
  }

  /** Returns family `name`, creating it empty; a later call with another type is a programming error. */
  family(name: string, help: string | undefined, type: MetricType): MetricFamily {
    let family = this.byName.get(name);
    if (!family) {
      family = help === undefined ? { name, type, samples: [] } : { name, help, type, samples: [] };
      this.byName.set(name, family);
    } else if (family.type !== type) {
      throw new Error(`metric family ${name} emitted as ${type} after ${family.type}`);
    }
    return family;
  }

  /** Merges whole families (e.g. the output of another collector). */
  addFamilies(families: Iterable<MetricFamily>): void {
    for (const f of families) {
      const target = this.family(f.name, f.help, f.type);
      for (const s of f.samples) target.samples.push(s);
    }
  }

  get size(): number {
    return this.byName.size;
  }

  toArray(): MetricFamily[] {
    return [...this.byName.values()];
  }
}

/** A stable key for a label set (order of keys does not matter). */
export function labelsKey(labels: Labels): string {
  const names = sortSmall(Object.keys(labels), compareCodeUnits);
  let key = '';
  for (let i = 0; i < names.length; i++) key += `${names[i]}\u0000${labels[names[i]!]}\u0001`;
  return key;
}

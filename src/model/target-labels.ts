/**
 * Target labels, as Prometheus applies them to a scrape with honor_labels
 * off: the target's label wins, and a sample's own label of that name (even
 * with the same value) is kept as `exported_<name>`, so nothing is silently
 * overwritten and two samples never collapse into one series.
 */
import type { Labels, MetricFamily, Sample } from './family.ts';

/**
 * Returns families whose samples carry `target` over their own labels.
 * `add` true sets the target labels on every sample (exporter extra labels);
 * false only moves conflicting sample labels aside, for sinks whose grouping
 * key adds the target labels itself (Pushgateway).
 */
export function applyTargetLabels(families: readonly MetricFamily[], target: Labels, add: boolean): MetricFamily[] {
  const names = Object.keys(target);
  if (names.length === 0) return families as MetricFamily[];
  return families.map((f) => {
    if (!add && !f.samples.some((s) => hasAny(s.labels, names))) return f;
    const samples = new Array<Sample>(f.samples.length);
    for (let i = 0; i < samples.length; i++) samples[i] = relabel(f.samples[i]!, target, names, add);
    return { ...f, samples };
  });
}

/** Whether `labels` has any of `names` (a loop, not a closure per sample: it runs for every sample of every push). */
function hasAny(labels: Labels, names: readonly string[]): boolean {
  for (let i = 0; i < names.length; i++) if (Object.hasOwn(labels, names[i]!)) return true;
  return false;
}

/** A sample's labels with `target` set over them, its own clashing labels kept as `exported_<name>`. */
export function withTargetLabels(labels: Labels, target: Labels): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  for (const [n, v] of Object.entries(target)) {
    const own = labels[n];
    if (own !== undefined) {
      let exported = `exported_${n}`;
      while (Object.hasOwn(out, exported)) exported = `exported_${exported}`;
      out[exported] = own;
    }
    out[n] = v;
  }
  return out;
}

function relabel(s: Sample, target: Labels, names: readonly string[], add: boolean): Sample {
  let labels: Record<string, string> | undefined;
  for (const n of names) {
    const own = s.labels[n];
    if (own === undefined) {
      if (add) (labels ??= { ...s.labels })[n] = target[n]!;
      continue;
    }
    labels ??= { ...s.labels };
    let exported = `exported_${n}`;
    while (Object.hasOwn(labels, exported)) exported = `exported_${exported}`;
    labels[exported] = own;
    if (add) labels[n] = target[n]!;
    else delete labels[n];
  }
  return labels ? { ...s, labels } : s;
}

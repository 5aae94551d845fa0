/** The families whose names start with `prefix`, families and samples in a fixed order (the exposition format sorts samples by labels). */
import type { MetricFamily } from '../../../src/model/family.ts';

export function sortedFamilies(families: readonly MetricFamily[], prefix: string): MetricFamily[] {
  const key = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).sort());
  return families
    .filter((f) => f.name.startsWith(prefix))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((f) => ({ ...f, samples: [...f.samples].sort((a, b) => key(a.labels).localeCompare(key(b.labels))) }));
}

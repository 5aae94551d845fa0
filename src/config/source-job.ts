/** What every source section shares: a job label of its own, and the labels edgepush sets itself. */
import type { SectionReader } from './schema.ts';

/** Labels no section may set: edgepush sets them ([identity] and each source's job). */
export const RESERVED_LABELS: ReadonlySet<string> = new Set(['job', 'instance']);

export function checkJob(r: SectionReader, job: string): string {
  if (job === '') throw r.error('job', 'must not be empty');
  return job;
}

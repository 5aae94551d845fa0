import type { CollectorDefinition } from './collector.ts';
import { loadavg } from './loadavg.ts';
import { nfs } from './nfs.ts';
import { nfsd } from './nfsd.ts';
import { xfs } from './xfs.ts';

/**
 * Every host collector, one file each. Keep this list sorted by name; a new
 * collector is one import and one entry here.
 */
export const COLLECTORS: readonly CollectorDefinition[] = [
  loadavg,
  nfs,
  nfsd,
  xfs,
].sort((a, b) => (a.name < b.name ? -1 : 1));

export function findCollector(name: string): CollectorDefinition | undefined {
  return COLLECTORS.find((c) => c.name === name);
}

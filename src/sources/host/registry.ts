import type { CollectorDefinition } from './collector.ts';
import { arp } from './arp.ts';
import { loadavg } from './loadavg.ts';
import { nfs } from './nfs.ts';
import { nfsd } from './nfsd.ts';
import { xfs } from './xfs.ts';
import { netdev } from './netdev.ts';
import { netstat } from './netstat.ts';
import { sockstat } from './sockstat.ts';
import { udpQueues } from './udp_queues.ts';
import { zfs } from './zfs.ts';
import { textfile } from './textfile.ts';

/**
 * Every host collector, one file each. Keep this list sorted by name; a new
 * collector is one import and one entry here.
 */
export const COLLECTORS: readonly CollectorDefinition[] = [
  arp,
  loadavg,
  nfs,
  nfsd,
  xfs,
  netdev,
  netstat,
  sockstat,
  udpQueues,
  zfs,
  textfile,
].sort((a, b) => (a.name < b.name ? -1 : 1));

export function findCollector(name: string): CollectorDefinition | undefined {
  return COLLECTORS.find((c) => c.name === name);
}

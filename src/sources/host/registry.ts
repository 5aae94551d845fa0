import type { CollectorDefinition } from './collector.ts';
import { arp } from './arp.ts';
import { bonding } from './bonding.ts';
import { dmi } from './dmi.ts';
import { dmmultipath } from './dmmultipath.ts';
import { edac } from './edac.ts';
import { kernelHung } from './kernel_hung.ts';
import { loadavg } from './loadavg.ts';
import { netdev } from './netdev.ts';
import { netstat } from './netstat.ts';
import { nfs } from './nfs.ts';
import { nfsd } from './nfsd.ts';
import { nvme } from './nvme.ts';
import { rapl } from './rapl.ts';
import { sockstat } from './sockstat.ts';
import { textfile } from './textfile.ts';
import { udpQueues } from './udp_queues.ts';
import { xfs } from './xfs.ts';
import { zfs } from './zfs.ts';

/**
 * Every host collector, one file each. Keep this list sorted by name; a new
 * collector is one import and one entry here.
 */
export const COLLECTORS: readonly CollectorDefinition[] = [
  arp,
  bonding,
  dmi,
  dmmultipath,
  edac,
  kernelHung,
  loadavg,
  netdev,
  netstat,
  nfs,
  nfsd,
  nvme,
  rapl,
  sockstat,
  textfile,
  udpQueues,
  xfs,
  zfs,
].sort((a, b) => (a.name < b.name ? -1 : 1));

export function findCollector(name: string): CollectorDefinition | undefined {
  return COLLECTORS.find((c) => c.name === name);
}

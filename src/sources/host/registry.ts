import type { CollectorDefinition } from './collector.ts';
import { arp } from './arp.ts';
import { bonding } from './bonding.ts';
import { dmi } from './dmi.ts';
import { dmmultipath } from './dmmultipath.ts';
import { edac } from './edac.ts';
import { ipvs } from './ipvs.ts';
import { kernelHung } from './kernel_hung.ts';
import { loadavg } from './loadavg.ts';
import { mdadm } from './mdadm.ts';
import { netdev } from './netdev.ts';
import { netstat } from './netstat.ts';
import { nfs } from './nfs.ts';
import { nfsd } from './nfsd.ts';
import { nvme } from './nvme.ts';
import { rapl } from './rapl.ts';
import { sockstat } from './sockstat.ts';
import { tapestats } from './tapestats.ts';
import { textfile } from './textfile.ts';
import { drbd } from './drbd.ts';
import { pcidevice } from './pcidevice.ts';
import { udpQueues } from './udp_queues.ts';
import { watchdog } from './watchdog.ts';
import { xfs } from './xfs.ts';
import { zfs } from './zfs.ts';
import { conntrack } from './conntrack.ts';
import { cpu } from './cpu.ts';
import { cpufreq } from './cpufreq.ts';
import { entropy } from './entropy.ts';
import { filefd } from './filefd.ts';
import { meminfo } from './meminfo.ts';
import { os } from './os.ts';
import { pressure } from './pressure.ts';
import { schedstat } from './schedstat.ts';
import { softnet } from './softnet.ts';
import { stat } from './stat.ts';
import { time } from './time.ts';
import { timex } from './timex.ts';
import { uname } from './uname.ts';
import { vmstat } from './vmstat.ts';
import { cgroups } from './cgroups.ts';
import { ksmd } from './ksmd.ts';
import { lnstat } from './lnstat.ts';
import { processes } from './processes.ts';
import { slabinfo } from './slabinfo.ts';
import { sysctl } from './sysctl.ts';
import { xfrm } from './xfrm.ts';

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
  ipvs,
  kernelHung,
  loadavg,
  mdadm,
  netdev,
  netstat,
  nfs,
  nfsd,
  nvme,
  rapl,
  sockstat,
  tapestats,
  textfile,
  drbd,
  pcidevice,
  udpQueues,
  watchdog,
  xfs,
  zfs,
  conntrack,
  cpu,
  cpufreq,
  entropy,
  filefd,
  meminfo,
  os,
  pressure,
  schedstat,
  softnet,
  stat,
  time,
  timex,
  uname,
  vmstat,
  cgroups,
  ksmd,
  lnstat,
  processes,
  slabinfo,
  sysctl,
  xfrm,
].sort((a, b) => (a.name < b.name ? -1 : 1));

export function findCollector(name: string): CollectorDefinition | undefined {
  return COLLECTORS.find((c) => c.name === name);
}

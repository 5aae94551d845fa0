import type { CollectorDefinition } from './collector.ts';
import { arp } from './arp.ts';
import { bonding } from './bonding.ts';
import { btrfs } from './btrfs.ts';
import { cgroups } from './cgroups.ts';
import { conntrack } from './conntrack.ts';
import { cpu } from './cpu.ts';
import { cpufreq } from './cpufreq.ts';
import { dmi } from './dmi.ts';
import { dmmultipath } from './dmmultipath.ts';
import { drbd } from './drbd.ts';
import { edac } from './edac.ts';
import { entropy } from './entropy.ts';
import { fibrechannel } from './fibrechannel.ts';
import { filefd } from './filefd.ts';
import { hwmon } from './hwmon.ts';
import { infiniband } from './infiniband.ts';
import { ipvs } from './ipvs.ts';
import { kernelHung } from './kernel_hung.ts';
import { ksmd } from './ksmd.ts';
import { lnstat } from './lnstat.ts';
import { loadavg } from './loadavg.ts';
import { mdadm } from './mdadm.ts';
import { meminfo } from './meminfo.ts';
import { mountstats } from './mountstats.ts';
import { netclass } from './netclass.ts';
import { netdev } from './netdev.ts';
import { netstat } from './netstat.ts';
import { nfs } from './nfs.ts';
import { nfsd } from './nfsd.ts';
import { nvme } from './nvme.ts';
import { rapl } from './rapl.ts';
import { sockstat } from './sockstat.ts';
import { tapestats } from './tapestats.ts';
import { textfile } from './textfile.ts';
import { qdisc } from './qdisc.ts';
import { wifi } from './wifi.ts';
import { udpQueues } from './udp_queues.ts';
import { watchdog } from './watchdog.ts';
import { xfs } from './xfs.ts';
import { zfs } from './zfs.ts';
import { buddyinfo } from './buddyinfo.ts';
import { cpuVulnerabilities } from './cpu_vulnerabilities.ts';
import { interrupts } from './interrupts.ts';
import { meminfoNuma } from './meminfo_numa.ts';
import { softirqs } from './softirqs.ts';
import { zoneinfo } from './zoneinfo.ts';
import { os } from './os.ts';
import { pcidevice } from './pcidevice.ts';
import { pressure } from './pressure.ts';
import { processes } from './processes.ts';
import { powersupplyclass } from './powersupplyclass.ts';
import { schedstat } from './schedstat.ts';
import { selinux } from './selinux.ts';
import { slabinfo } from './slabinfo.ts';
import { softnet } from './softnet.ts';
import { stat } from './stat.ts';
import { sysctl } from './sysctl.ts';
import { thermalZone } from './thermal_zone.ts';
import { time } from './time.ts';
import { timex } from './timex.ts';
import { uname } from './uname.ts';
import { vmstat } from './vmstat.ts';
import { xfrm } from './xfrm.ts';

/**
 * Every host collector, one file each. Keep this list sorted by name; a new
 * collector is one import and one entry here.
 */
export const COLLECTORS: readonly CollectorDefinition[] = [
  arp,
  bonding,
  btrfs,
  cgroups,
  conntrack,
  cpu,
  cpufreq,
  dmi,
  dmmultipath,
  drbd,
  edac,
  entropy,
  fibrechannel,
  filefd,
  hwmon,
  infiniband,
  ipvs,
  kernelHung,
  ksmd,
  lnstat,
  loadavg,
  mdadm,
  meminfo,
  mountstats,
  netclass,
  netdev,
  netstat,
  nfs,
  nfsd,
  nvme,
  rapl,
  sockstat,
  tapestats,
  textfile,
  qdisc,
  wifi,
  udpQueues,
  watchdog,
  xfs,
  zfs,
  buddyinfo,
  cpuVulnerabilities,
  interrupts,
  meminfoNuma,
  softirqs,
  zoneinfo,
  os,
  pcidevice,
  pressure,
  processes,
  powersupplyclass,
  schedstat,
  selinux,
  slabinfo,
  softnet,
  stat,
  sysctl,
  thermalZone,
  time,
  timex,
  uname,
  vmstat,
  xfrm,
].sort((a, b) => (a.name < b.name ? -1 : 1));

export function findCollector(name: string): CollectorDefinition | undefined {
  return COLLECTORS.find((c) => c.name === name);
}

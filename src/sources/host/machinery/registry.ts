import type { CollectorDefinition } from './collector.ts';
import { arp } from '../collectors/arp.ts';
import { bcache } from '../collectors/bcache.ts';
import { bcachefs } from '../collectors/bcachefs.ts';
import { bonding } from '../collectors/bonding.ts';
import { btrfs } from '../collectors/btrfs.ts';
import { buddyinfo } from '../collectors/buddyinfo.ts';
import { cgroups } from '../collectors/cgroups.ts';
import { conntrack } from '../collectors/conntrack.ts';
import { cpu } from '../collectors/cpu.ts';
import { cpuVulnerabilities } from '../collectors/cpu_vulnerabilities.ts';
import { cpufreq } from '../collectors/cpufreq.ts';
import { diskstats } from '../collectors/diskstats.ts';
import { dmi } from '../collectors/dmi.ts';
import { dmmultipath } from '../collectors/dmmultipath.ts';
import { drbd } from '../collectors/drbd.ts';
import { edac } from '../collectors/edac.ts';
import { entropy } from '../collectors/entropy.ts';
import { fibrechannel } from '../collectors/fibrechannel.ts';
import { filefd } from '../collectors/filefd.ts';
import { filesystem } from '../collectors/filesystem.ts';
import { hwmon } from '../collectors/hwmon.ts';
import { infiniband } from '../collectors/infiniband.ts';
import { interrupts } from '../collectors/interrupts.ts';
import { ipvs } from '../collectors/ipvs.ts';
import { kernelHung } from '../collectors/kernel_hung.ts';
import { ksmd } from '../collectors/ksmd.ts';
import { lnstat } from '../collectors/lnstat.ts';
import { loadavg } from '../collectors/loadavg.ts';
import { mdadm } from '../collectors/mdadm.ts';
import { meminfo } from '../collectors/meminfo.ts';
import { meminfoNuma } from '../collectors/meminfo_numa.ts';
import { mountstats } from '../collectors/mountstats.ts';
import { netclass } from '../collectors/netclass.ts';
import { netdev } from '../collectors/netdev.ts';
import { netstat } from '../collectors/netstat.ts';
import { nfs } from '../collectors/nfs.ts';
import { nfsd } from '../collectors/nfsd.ts';
import { nvme } from '../collectors/nvme.ts';
import { os } from '../collectors/os.ts';
import { pcidevice } from '../collectors/pcidevice.ts';
import { powersupplyclass } from '../collectors/powersupplyclass.ts';
import { pressure } from '../collectors/pressure.ts';
import { processes } from '../collectors/processes.ts';
import { qdisc } from '../collectors/qdisc.ts';
import { rapl } from '../collectors/rapl.ts';
import { schedstat } from '../collectors/schedstat.ts';
import { selinux } from '../collectors/selinux.ts';
import { slabinfo } from '../collectors/slabinfo.ts';
import { sockstat } from '../collectors/sockstat.ts';
import { softirqs } from '../collectors/softirqs.ts';
import { softnet } from '../collectors/softnet.ts';
import { stat } from '../collectors/stat.ts';
import { sysctl } from '../collectors/sysctl.ts';
import { systemd } from '../collectors/systemd.ts';
import { tapestats } from '../collectors/tapestats.ts';
import { tcpstat } from '../collectors/tcpstat.ts';
import { textfile } from '../collectors/textfile.ts';
import { thermalZone } from '../collectors/thermal_zone.ts';
import { time } from '../collectors/time.ts';
import { timex } from '../collectors/timex.ts';
import { udpQueues } from '../collectors/udp_queues.ts';
import { uname } from '../collectors/uname.ts';
import { vmstat } from '../collectors/vmstat.ts';
import { watchdog } from '../collectors/watchdog.ts';
import { wifi } from '../collectors/wifi.ts';
import { xfrm } from '../collectors/xfrm.ts';
import { xfs } from '../collectors/xfs.ts';
import { zfs } from '../collectors/zfs.ts';
import { zoneinfo } from '../collectors/zoneinfo.ts';

/**
 * Every host collector, one file each. Keep this list sorted by name; a new
 * collector is one import and one entry here.
 */
export const COLLECTORS: readonly CollectorDefinition[] = [
  arp,
  bcache,
  bcachefs,
  bonding,
  btrfs,
  buddyinfo,
  cgroups,
  conntrack,
  cpu,
  cpufreq,
  cpuVulnerabilities,
  diskstats,
  dmi,
  dmmultipath,
  drbd,
  edac,
  entropy,
  fibrechannel,
  filefd,
  filesystem,
  hwmon,
  infiniband,
  interrupts,
  ipvs,
  kernelHung,
  ksmd,
  lnstat,
  loadavg,
  mdadm,
  meminfo,
  meminfoNuma,
  mountstats,
  netclass,
  netdev,
  netstat,
  nfs,
  nfsd,
  nvme,
  os,
  pcidevice,
  powersupplyclass,
  pressure,
  processes,
  qdisc,
  rapl,
  schedstat,
  selinux,
  slabinfo,
  sockstat,
  softirqs,
  softnet,
  stat,
  sysctl,
  systemd,
  tapestats,
  tcpstat,
  textfile,
  thermalZone,
  time,
  timex,
  udpQueues,
  uname,
  vmstat,
  watchdog,
  wifi,
  xfrm,
  xfs,
  zfs,
  zoneinfo,
].sort((a, b) => (a.name < b.name ? -1 : 1));

/**
 * The flags node_exporter's end-to-end test runs with (fixtures README), from
 * the directory that holds `collector/`. `--collector.<name>` for every Linux
 * collector is added by e2eArgs() for the collectors we implement.
 */
export const E2E_COMMON_FLAGS = [
  '--path.rootfs=collector/fixtures',
  '--path.procfs=collector/fixtures/proc',
  '--path.sysfs=collector/fixtures/sys',
  '--path.udev.data=collector/fixtures/udev/data',
];

/** Excluded from the e2e run by node_exporter itself. */
export const E2E_DISABLED = ['selinux', 'filesystem', 'timex', 'uname'];

/**
 * Not run by node_exporter's e2e test either (e2e-output.txt has none of their
 * families): they read the live system whatever the paths (tcpstat over
 * netlink, systemd over D-Bus).
 */
const E2E_NOT_RUN = ['tcpstat', 'systemd'];

export const E2E_COLLECTOR_OPTIONS = [
  '--collector.cpu.info',
  '--collector.cpu.info.bugs-include=^(cpu_meltdown|spectre_.*|mds)$',
  '--collector.cpu.info.flags-include=^(aes|avx.?|constant_tsc)$',
  '--collector.arp.device-exclude=nope',
  '--no-collector.arp.netlink',
  '--collector.bcache.priorityStats',
  '--collector.hwmon.chip-include=(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)',
  '--collector.netclass.ignore-invalid-speed',
  '--collector.netclass.ignored-devices=(dmz|int)',
  '--collector.netdev.device-include=lo',
  '--collector.qdisc.device-include=(wlan0|eth0)',
  '--collector.qdisc.fixtures=collector/fixtures/qdisc/',
  '--collector.stat.softirq',
  '--collector.sysctl.include-info=kernel.seccomp.actions_avail',
  '--collector.sysctl.include=fs.file-nr',
  '--collector.sysctl.include=fs.file-nr:total,current,max',
  '--collector.sysctl.include=kernel.threads-max',
  '--collector.textfile.directory=collector/fixtures/textfile/two_metric_files/',
  '--collector.wifi.fixtures=collector/fixtures/wifi',
];

/** The option flag's collector: `--collector.cpu.info.flags-include` → cpu, `--no-collector.arp.netlink` → arp. */
export function flagCollector(flag: string): string | undefined {
  return /^--(?:no-)?collector\.([a-z0-9_]+)\./.exec(flag)?.[1];
}

/** The e2e flag list restricted to the collectors implemented (the others would be unknown flags). */
export function e2eArgs(implemented: ReadonlySet<string>): string[] {
  const args = [...E2E_COMMON_FLAGS, '--collector.disable-defaults'];
  for (const name of [...implemented].sort()) {
    if (E2E_NOT_RUN.includes(name)) continue;
    args.push(E2E_DISABLED.includes(name) ? `--no-collector.${name}` : `--collector.${name}`);
  }
  for (const flag of E2E_COLLECTOR_OPTIONS) {
    const owner = flagCollector(flag);
    if (owner && implemented.has(owner)) args.push(flag);
  }
  return args;
}

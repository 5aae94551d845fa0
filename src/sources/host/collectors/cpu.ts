import { FamilySet } from '../../../model/family.ts';
import type { Logger } from '../../../log.ts';
import type { Collector, CollectorContext, CollectorDefinition } from '../machinery/collector.ts';
import { readStat, type CpuTimes, CPU_MODES } from '../procfs/stat.ts';
import { readCpuInfo } from '../procfs/cpuinfo.ts';
import { readCpuOnline, readIsolatedCpus, readThermalThrottles } from '../sysfs/cpu-topology.ts';

const OPT = {
  guest: 'collector.cpu.guest',
  info: 'collector.cpu.info',
  flagsInclude: 'collector.cpu.info.flags-include',
  bugsInclude: 'collector.cpu.info.bugs-include',
} as const;

/** An idle counter falling back this far means the CPU was unplugged and replugged: start its counters afresh. */
const JUMP_BACK_SECONDS = 3.0;

const SECONDS_HELP = 'Seconds the CPUs spent in each mode.';
const EXPORTED_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;

/**
 * Keeps per-CPU counters from going backwards between collections, as
 * node_exporter does: the kernel's per-CPU times can dip slightly (idle and
 * iowait notably), and a counter that decreases reads as a reset to
 * Prometheus. A value lower than the last one is held; an idle drop of
 * JUMP_BACK_SECONDS or more resets that CPU (hotplug); CPUs that went away
 * are forgotten.
 */
export class MonotonicCpuTimes {
  private readonly last = new Map<number, CpuTimes>();
  private readonly log: Logger | undefined;

  constructor(log?: Logger) {
    this.log = log;
  }

  update(current: ReadonlyMap<number, CpuTimes>): Map<number, CpuTimes> {
    for (const [cpu, now] of current) {
      let kept = this.last.get(cpu) ?? zero();
      if (kept.idle - now.idle >= JUMP_BACK_SECONDS) {
        this.log?.debug('CPU Idle counter jumped backwards, possible hotplug event, resetting CPU stats', { cpu, old_value: kept.idle, new_value: now.idle });
        kept = zero();
      }
      const next = { ...kept };
      for (const mode of CPU_MODES) {
        if (now[mode] >= kept[mode]) next[mode] = now[mode];
        else this.log?.debug(`CPU ${mode} counter jumped backwards`, { cpu, old_value: kept[mode], new_value: now[mode] });
      }
      this.last.set(cpu, next);
    }
    if (current.size !== this.last.size) for (const cpu of [...this.last.keys()]) if (!current.has(cpu)) this.last.delete(cpu);
    return new Map(this.last);
  }
}

function zero(): CpuTimes {
  return { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 };
}

class CpuCollector implements Collector {
  private readonly ctx: CollectorContext;
  private readonly times: MonotonicCpuTimes;
  private readonly infoEnabled: boolean;
  private readonly flagsInclude: RegExp | undefined;
  private readonly bugsInclude: RegExp | undefined;
  /** Read once, as node_exporter does at start-up; null: the kernel has no isolated list. */
  private isolated: number[] | null | undefined;

  constructor(ctx: CollectorContext) {
    this.ctx = ctx;
    this.times = new MonotonicCpuTimes(ctx.log);
    this.flagsInclude = ctx.options.regex(OPT.flagsInclude);
    this.bugsInclude = ctx.options.regex(OPT.bugsInclude);
    // An include filter implies --collector.cpu.info, as in node_exporter.
    this.infoEnabled = ctx.options.bool(OPT.info) || this.flagsInclude !== undefined || this.bugsInclude !== undefined;
    if (this.infoEnabled && !ctx.options.bool(OPT.info))
      ctx.log.info(`--${OPT.info} has been set to true because --${OPT.flagsInclude} or --${OPT.bugsInclude} is set`);
  }

  async collect() {
    const { paths } = this.ctx;
    const out = new FamilySet();
    if (this.infoEnabled) await this.addInfo(out);

    const [stat, throttles, online] = await Promise.all([readStat(paths.procfs), readThermalThrottles(paths.sysfs), readCpuOnline(paths.sysfs)]);
    const guest = this.ctx.options.bool(OPT.guest);
    for (const [cpuId, t] of this.times.update(stat.cpus)) {
      const cpu = String(cpuId);
      for (const mode of EXPORTED_MODES) out.counter('node_cpu_seconds_total', SECONDS_HELP, t[mode], { cpu, mode });
      if (guest) {
        // Guest time is also counted in user and nice; exposed apart.
        out.counter('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', t.guest, { cpu, mode: 'user' });
        out.counter('node_cpu_guest_seconds_total', 'Seconds the CPUs spent in guests (VMs) for each mode.', t.guestNice, { cpu, mode: 'nice' });
      }
    }

    if (this.isolated === undefined) this.isolated = (await readIsolatedCpus(paths.sysfs)) ?? null;
    for (const cpu of this.isolated ?? []) {
      out.gauge('node_cpu_isolated', 'Whether each core is isolated, information from /sys/devices/system/cpu/isolated.', 1, { cpu: String(cpu) });
    }

    for (const [pkg, count] of throttles.packages) {
      out.counter('node_cpu_package_throttles_total', 'Number of times this CPU package has been throttled.', count, { package: String(pkg) });
    }
    for (const [pkg, cores] of throttles.cores) {
      for (const [core, count] of cores) {
        out.counter('node_cpu_core_throttles_total', 'Number of times this CPU core has been throttled.', count, { package: String(pkg), core: String(core) });
      }
    }

    for (const [cpu, isOnline] of online ?? []) {
      out.gauge('node_cpu_online', 'CPUs that are online and being scheduled.', isOnline ? 1 : 0, { cpu });
    }
    return out.toArray();
  }

  private async addInfo(out: FamilySet): Promise<void> {
    const info = await readCpuInfo(this.ctx.paths.procfs);
    for (const c of info) {
      out.gauge('node_cpu_info', 'CPU information from /proc/cpuinfo.', 1, {
        package: c.physicalId,
        core: c.coreId,
        cpu: String(c.processor),
        vendor: c.vendorId,
        family: c.cpuFamily,
        model: c.model,
        model_name: c.modelName,
        microcode: c.microcode,
        stepping: c.stepping,
        cachesize: c.cacheSize,
      });
    }
    if (this.ctx.enabledCollectors?.has('cpufreq')) {
      for (const c of info) {
        out.gauge('node_cpu_frequency_hertz', 'CPU frequency in hertz from /proc/cpuinfo.', c.cpuMHz * 1e6, {
          package: c.physicalId,
          core: c.coreId,
          cpu: String(c.processor),
        });
      }
    }
    const first = info[0];
    if (!first) return;
    // Flags and bugs of the first CPU only, and only with a filter (there are hundreds of flags).
    if (this.flagsInclude) {
      for (const flag of first.flags) {
        if (this.flagsInclude.test(flag))
          out.gauge('node_cpu_flag_info', 'The `flags` field of CPU information from /proc/cpuinfo taken from the first core.', 1, { flag });
      }
    }
    if (this.bugsInclude) {
      for (const bug of first.bugs) {
        if (this.bugsInclude.test(bug))
          out.gauge('node_cpu_bug_info', 'The `bugs` field of CPU information from /proc/cpuinfo taken from the first core.', 1, { bug });
      }
    }
  }
}

export const cpu: CollectorDefinition = {
  name: 'cpu',
  defaultEnabled: true,
  description: 'Exposes CPU statistics',
  options: [
    { name: OPT.guest, kind: 'bool', default: true, help: 'Enables metric node_cpu_guest_seconds_total' },
    { name: OPT.info, kind: 'bool', default: false, help: 'Enables metric cpu_info' },
    { name: OPT.flagsInclude, kind: 'regex', default: '', help: 'Filter the `flags` field in cpuInfo with a value that must be a regular expression' },
    { name: OPT.bugsInclude, kind: 'regex', default: '', help: 'Filter the `bugs` field in cpuInfo with a value that must be a regular expression' },
  ],
  create: (ctx) => new CpuCollector(ctx),
};

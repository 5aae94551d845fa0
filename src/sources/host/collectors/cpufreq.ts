import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readSystemCpufreq } from '../sysfs/cpufreq.ts';

// sysfs cpufreq values are kHz; the metrics are in hertz.
const hz = (khz: number): number => khz * 1000.0;

export const cpufreq: CollectorDefinition = {
  name: 'cpufreq',
  defaultEnabled: true,
  description: 'Exposes CPU frequency statistics',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const s of await readSystemCpufreq(paths.sysfs)) {
      const labels = { cpu: s.cpu };
      if (s.cpuinfoCurKhz !== undefined) out.gauge('node_cpu_frequency_hertz', 'Current CPU thread frequency in hertz.', hz(s.cpuinfoCurKhz), labels);
      if (s.cpuinfoAvgKhz !== undefined) out.gauge('node_cpu_frequency_avg_hertz', 'Average CPU thread frequency in hertz.', hz(s.cpuinfoAvgKhz), labels);
      if (s.cpuinfoMinKhz !== undefined) out.gauge('node_cpu_frequency_min_hertz', 'Minimum CPU thread frequency in hertz.', hz(s.cpuinfoMinKhz), labels);
      if (s.cpuinfoMaxKhz !== undefined) out.gauge('node_cpu_frequency_max_hertz', 'Maximum CPU thread frequency in hertz.', hz(s.cpuinfoMaxKhz), labels);
      if (s.scalingCurKhz !== undefined)
        out.gauge('node_cpu_scaling_frequency_hertz', 'Current scaled CPU thread frequency in hertz.', hz(s.scalingCurKhz), labels);
      if (s.scalingMinKhz !== undefined)
        out.gauge('node_cpu_scaling_frequency_min_hertz', 'Minimum scaled CPU thread frequency in hertz.', hz(s.scalingMinKhz), labels);
      if (s.scalingMaxKhz !== undefined)
        out.gauge('node_cpu_scaling_frequency_max_hertz', 'Maximum scaled CPU thread frequency in hertz.', hz(s.scalingMaxKhz), labels);
      if (s.governor !== '') {
        for (const governor of s.availableGovernors.split(' ')) {
          out.gauge('node_cpu_scaling_governor', 'Current enabled CPU frequency governor.', governor === s.governor ? 1 : 0, { cpu: s.cpu, governor });
        }
      }
    }
    return out.toArray();
  }),
};

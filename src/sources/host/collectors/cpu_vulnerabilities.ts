import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readCpuVulnerabilities } from '../sysfs/vulnerabilities.ts';

export const cpuVulnerabilities: CollectorDefinition = {
  name: 'cpu_vulnerabilities',
  defaultEnabled: false,
  description: 'Exposes CPU vulnerability information from sysfs.',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const v of await readCpuVulnerabilities(paths.sysfs)) {
      out.gauge(
        'node_cpu_vulnerabilities_info',
        'Details of each CPU vulnerability reported by sysfs. The value of the series is an int encoded state of the vulnerability. The same state is stored as a string in the label',
        1,
        { codename: v.codename, state: v.state, mitigation: v.mitigation },
      );
    }
    return out.toArray();
  }),
};

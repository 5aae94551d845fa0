import path from 'node:path';
import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readInterrupts } from '../procfs/interrupts.ts';
import { parseDecimalFloat } from '../kernel-files/parse.ts';

const OPT = {
  include: 'collector.interrupts.name-include',
  exclude: 'collector.interrupts.name-exclude',
  includeZeros: 'collector.interrupts.include-zeros',
} as const;

export const interrupts: CollectorDefinition = {
  name: 'interrupts',
  defaultEnabled: false,
  description: 'Exposes detailed interrupts statistics.',
  options: [
    {
      name: OPT.include,
      kind: 'regex',
      default: '',
      help: 'Regexp of interrupts name to include (mutually exclusive to --collector.interrupts.name-exclude).',
    },
    {
      name: OPT.exclude,
      kind: 'regex',
      default: '',
      help: 'Regexp of interrupts name to exclude (mutually exclusive to --collector.interrupts.name-include).',
    },
    { name: OPT.includeZeros, kind: 'bool', default: true, help: 'Include interrupts that have a zero value' },
  ],
  create: stateless(async ({ paths, options }) => {
    const include = options.regex(OPT.include);
    const exclude = options.regex(OPT.exclude);
    const includeZeros = options.bool(OPT.includeZeros);
    const out = new FamilySet();
    for (const irq of await readInterrupts(paths.procfs)) {
      // The filters see "name;info;devices", e.g. "16;IR-IO-APIC-fasteoi;ehci_hcd:usb1, mmc0".
      const filterName = `${irq.name};${irq.info};${irq.devices}`;
      if ((exclude && exclude.test(filterName)) || (include && !include.test(filterName))) continue;
      irq.values.forEach((raw, cpu) => {
        const value = parseDecimalFloat(raw, `${path.join(paths.procfs, 'interrupts')} ${irq.name} cpu ${cpu}`);
        if (!includeZeros && value === 0) return;
        out.counter('node_interrupts_total', 'Interrupt details.', value, { cpu: String(cpu), type: irq.name, info: irq.info, devices: irq.devices });
      });
    }
    return out.toArray();
  }),
};

/**
 * The sysctl collector: the sysctls named by --collector.sysctl.include
 * (numeric values) and --collector.sysctl.include-info (string values, as
 * node_sysctl_info), each given as `name` or `name:key1,key2,...` to name the
 * fields of a multi-value sysctl.
 */
import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { sanitizeMetricName } from '../machinery/metric-name.ts';
import { readSysctlInts, readSysctlStrings } from '../procfs/sysctl.ts';

const INCLUDE = 'collector.sysctl.include';
const INCLUDE_INFO = 'collector.sysctl.include-info';
const INFO_NAME = 'node_sysctl_info';
const INFO_HELP = 'sysctl info';

interface SysctlSpec {
  name: string;
  keys: string[];
  numeric: boolean;
}

export function parseSysctlSpec(include: string, numeric: boolean): SysctlSpec {
  const colon = include.indexOf(':');
  if (colon === -1) return { name: include, keys: [], numeric };
  return { name: include.slice(0, colon), keys: include.slice(colon + 1).split(','), numeric };
}

async function collectOne(spec: SysctlSpec, paths: { procfs: string }, out: FamilySet): Promise<void> {
  const values = spec.numeric ? await readSysctlInts(paths.procfs, spec.name) : await readSysctlStrings(paths.procfs, spec.name);
  const metric = `node_sysctl_${sanitizeMetricName(spec.name)}`;
  if (values.length === 0) throw new Error(`sysctl ${spec.name} has no values`);
  if (values.length === 1) {
    if (spec.keys.length > 0) throw new Error(`sysctl ${spec.name} has only one value, but expected [${spec.keys.join(' ')}]`);
    if (spec.numeric) out.untyped(metric, `sysctl ${spec.name}`, values[0] as number);
    else out.gauge(INFO_NAME, INFO_HELP, 1, { name: spec.name, value: values[0] as string, index: '0' });
    return;
  }
  if (spec.keys.length === 0) {
    values.forEach((v, i) => {
      if (spec.numeric) out.untyped(metric, `sysctl ${spec.name}`, v as number, { index: String(i) });
      else out.gauge(INFO_NAME, INFO_HELP, 1, { name: spec.name, value: v as string, index: String(i) });
    });
    return;
  }
  if (values.length !== spec.keys.length) throw new Error(`sysctl ${spec.name} has ${values.length} values but the flag names ${spec.keys.length} keys`);
  if (!spec.numeric) throw new Error('mapped sysctl string values not supported');
  values.forEach((v, i) => out.untyped(`${metric}_${spec.keys[i]}`, `sysctl ${spec.name}, field ${i}`, v as number));
}

export const sysctl: CollectorDefinition = {
  name: 'sysctl',
  defaultEnabled: false,
  description: 'Exposes the sysctl values chosen with --collector.sysctl.include and --collector.sysctl.include-info.',
  options: [
    { name: INCLUDE, kind: 'strings', default: [], help: 'Select sysctl metrics to include (name, or name:key1,key2,... to name the fields).' },
    { name: INCLUDE_INFO, kind: 'strings', default: [], help: 'Select sysctl metrics to include as info metrics.' },
  ],
  create: stateless(async ({ paths, options }) => {
    const specs = [...options.strings(INCLUDE).map((s) => parseSysctlSpec(s, true)), ...options.strings(INCLUDE_INFO).map((s) => parseSysctlSpec(s, false))];
    const out = new FamilySet();
    for (const spec of specs) await collectOne(spec, paths, out);
    return out.toArray();
  }),
};

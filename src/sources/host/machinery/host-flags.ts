/** The node_exporter-compatible flags of host collection, and their resolution into a CollectorRunnerConfig. */
import type { FlagSpec } from '../../../config/flags.ts';
import type { CollectorDefinition, HostPaths } from './collector.ts';
import { DEFAULT_HOST_PATHS } from './collector.ts';
import type { CollectorRunnerConfig } from './collector-runner.ts';
import { resolveEnabled } from './collector-runner.ts';
import type { OptionValue } from '../../../config/option-values.ts';

const PATH_FLAGS: readonly FlagSpec[] = [
  { name: 'path.procfs', kind: 'string', default: DEFAULT_HOST_PATHS.procfs, help: 'procfs mountpoint.', placeholder: 'DIR', path: true },
  { name: 'path.sysfs', kind: 'string', default: DEFAULT_HOST_PATHS.sysfs, help: 'sysfs mountpoint.', placeholder: 'DIR', path: true },
  { name: 'path.rootfs', kind: 'string', default: DEFAULT_HOST_PATHS.rootfs, help: 'rootfs mountpoint.', placeholder: 'DIR', path: true },
  { name: 'path.udev.data', kind: 'string', default: DEFAULT_HOST_PATHS.udevData, help: 'udev data path.', placeholder: 'DIR', path: true },
];

export function hostFlagSpecs(collectors: readonly CollectorDefinition[]): FlagSpec[] {
  const specs: FlagSpec[] = [...PATH_FLAGS];
  specs.push({ name: 'collector.disable-defaults', kind: 'bool', default: false, help: 'Set all collectors to disabled by default.' });
  for (const c of collectors) {
    specs.push({ name: `collector.${c.name}`, kind: 'bool', default: c.defaultEnabled, help: `Enable the ${c.name} collector. ${c.description}` });
  }
  for (const c of collectors) for (const o of c.options ?? []) specs.push({ ...o });
  return specs;
}

/** Turns the given flags into the host source's configuration. */
export function hostConfigFromFlags(collectors: readonly CollectorDefinition[], given: ReadonlyMap<string, OptionValue>): CollectorRunnerConfig {
  const paths: HostPaths = {
    procfs: String(given.get('path.procfs') ?? DEFAULT_HOST_PATHS.procfs),
    sysfs: String(given.get('path.sysfs') ?? DEFAULT_HOST_PATHS.sysfs),
    rootfs: String(given.get('path.rootfs') ?? DEFAULT_HOST_PATHS.rootfs),
    udevData: String(given.get('path.udev.data') ?? DEFAULT_HOST_PATHS.udevData),
  };
  const explicit = new Map<string, boolean>();
  const options = new Map<string, OptionValue>();
  const collectorNames = new Set(collectors.map((c) => c.name));
  for (const [name, value] of given) {
    const m = /^collector\.([a-z0-9_]+)$/.exec(name);
    if (m && collectorNames.has(m[1]!)) explicit.set(m[1]!, value === true);
    else if (name.startsWith('collector.') && name !== 'collector.disable-defaults') options.set(name, value);
  }
  const enabled = resolveEnabled(collectors, given.get('collector.disable-defaults') === true, explicit);
  return { paths, enabled, options };
}

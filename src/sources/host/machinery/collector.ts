import type { MetricFamily } from '../../../model/family.ts';
import type { Logger } from '../../../log.ts';
import type { OptionValues } from '../../../config/option-values.ts';
import type { OptionSpec } from './options.ts';

/** Where the host's pseudo filesystems are (node_exporter's --path.* flags). */
export interface HostPaths {
  procfs: string;
  sysfs: string;
  rootfs: string;
  udevData: string;
}

export const DEFAULT_HOST_PATHS: HostPaths = { procfs: '/proc', sysfs: '/sys', rootfs: '/', udevData: '/run/udev/data' };

export interface CollectorContext {
  paths: HostPaths;
  options: OptionValues;
  log: Logger;
  /** Names of the collectors enabled in this host source (node_exporter's collectorState: cpu emits cpuinfo frequencies only when cpufreq is on). */
  enabledCollectors?: ReadonlySet<string>;
}

/** A running collector; it may keep state between collections (e.g. last counter values). */
export interface Collector {
  collect(): Promise<MetricFamily[]>;
}

/**
 * One host collector: the unit node_exporter calls a collector, with its own
 * default on/off and its own options. Each lives in its own file under
 * src/sources/host/collectors/ and is listed in registry.ts.
 */
export interface CollectorDefinition {
  name: string;
  defaultEnabled: boolean;
  /** One line for --help. */
  description: string;
  options?: OptionSpec[];
  create(ctx: CollectorContext): Collector;
}

/** Shorthand for stateless collectors. */
export function stateless(fn: (ctx: CollectorContext) => Promise<MetricFamily[]>): (ctx: CollectorContext) => Collector {
  return (ctx) => ({ collect: () => fn(ctx) });
}

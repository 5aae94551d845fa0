/**
 * The parts of prom-client the agent uses for its own metrics, loaded from
 * their own modules rather than prom-client's index, which also loads its
 * Pushgateway client (node:http, node:https), its cluster aggregator
 * (node:cluster) and Summary: resident code the agent never runs. Internal
 * paths, pinned by package-lock.json; test/sources/self.test.ts fails if an
 * upgrade moves them.
 */
import type { Registry as RegistryType } from 'prom-client';

export { default as Counter } from 'prom-client/lib/counter.js';
export { default as Gauge } from 'prom-client/lib/gauge.js';
export { default as Histogram } from 'prom-client/lib/histogram.js';
export { default as Registry } from 'prom-client/lib/registry.js';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';

/**
 * prom-client's process_* collectors, in the order its default metrics
 * register them. Not its nodejs_* ones: the agent never pushes them, and the
 * event-loop-lag one alone keeps a 10 ms timer waking the process 100 times a
 * second between cycles, besides what they all compute on every collection.
 */
export function collectProcessMetrics(registry: RegistryType): void {
  for (const collector of [processCpuTotal, processStartTime, osMemoryHeap, processOpenFileDescriptors, processMaxFileDescriptors]) collector(registry);
}

/**
 * Metrics a module registers once per registry, however many instances use
 * them (a sink per section, replaced on every reload that changes it):
 * prom-client refuses a second registration of a name.
 */
export function perRegistry<T>(create: (registry: RegistryType) => T): (registry: RegistryType) => T {
  const made = new WeakMap<RegistryType, T>();
  return (registry) => {
    let metrics = made.get(registry);
    if (metrics === undefined) made.set(registry, (metrics = create(registry)));
    return metrics;
  };
}

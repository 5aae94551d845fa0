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
export { default as collectDefaultMetrics } from 'prom-client/lib/defaultMetrics.js';

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

/**
 * The parts of prom-client the agent uses for its own metrics, loaded from
 * their own modules rather than prom-client's index, which also loads its
 * Pushgateway client (node:http, node:https), its cluster aggregator
 * (node:cluster) and Summary: resident code the agent never runs. Internal
 * paths, pinned by package-lock.json; test/sources/self.test.ts fails if an
 * upgrade moves them.
 */
export { default as Counter } from 'prom-client/lib/counter.js';
export { default as Gauge } from 'prom-client/lib/gauge.js';
export { default as Histogram } from 'prom-client/lib/histogram.js';
export { default as Registry } from 'prom-client/lib/registry.js';
export { default as collectDefaultMetrics } from 'prom-client/lib/defaultMetrics.js';

import { NoDataError, stateless, type CollectorDefinition } from './collector.ts';

/**
 * node_exporter's timex collector reports the kernel's NTP state from the
 * adjtimex(2) syscall (offset, frequency, error estimates, sync status, PPS
 * counters). Node.js has no binding for adjtimex or clock_adjtime, and the
 * kernel publishes that state nowhere in /proc or /sys, so nothing of it can
 * be known honestly from here: the collector exists (so --collector.timex
 * and --no-collector.timex are accepted) and reports no data, which shows as
 * node_scrape_collector_success{collector="timex"} 0, as node_exporter does
 * when adjtimex is not permitted. See README "Host collectors".
 */
export const timex: CollectorDefinition = {
  name: 'timex',
  // Off by default, unlike node_exporter: on it could only ever report
  // success 0, firing collector-failure alerts on every box of a fleet.
  defaultEnabled: false,
  description: 'Exposes selected adjtimex(2) system call stats (unavailable: Node.js cannot call adjtimex, see README).',
  create: stateless(async () => {
    throw new NoDataError('adjtimex(2) is not reachable from Node.js; timex metrics are not available');
  }),
};

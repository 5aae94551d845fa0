/**
 * The qdisc collector. node_exporter reads queueing disciplines over
 * rtnetlink; Node.js cannot, so edgepush only reads the JSON fixtures of
 * --collector.qdisc.fixtures and otherwise reports the collector unavailable.
 */
import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import type { CollectorDefinition } from '../machinery/collector.ts';
import { netlinkUnavailable } from '../netlink/go-json.ts';

const UNAVAILABLE = netlinkUnavailable('an rtnetlink', 'qdisc');
import { readQdiscFixture } from '../netlink/qdisc.ts';

const FIXTURES = 'collector.qdisc.fixtures';
const INCLUDE = 'collector.qdisc.device-include';
const EXCLUDE = 'collector.qdisc.device-exclude';

export const qdisc: CollectorDefinition = {
  name: 'qdisc',
  defaultEnabled: false,
  description: `Exposes queuing discipline statistics. UNAVAILABLE on a live system: ${UNAVAILABLE}.`,
  options: [
    { name: FIXTURES, kind: 'string', default: '', path: true, help: 'test fixtures to use for qdisc collector end-to-end testing (a directory holding results.json).' },
    { name: INCLUDE, kind: 'regex', default: '', help: 'Regexp of qdisc devices to include (mutually exclusive to device-exclude).' },
    { name: EXCLUDE, kind: 'regex', default: '', help: 'Regexp of qdisc devices to exclude (mutually exclusive to device-include).' },
  ],
  create: ({ options, log }) => {
    const fixtures = options.string(FIXTURES);
    if (fixtures === '') log.warn(`the qdisc collector is enabled but unavailable: ${UNAVAILABLE}`);
    return {
      collect: async () => {
        if (fixtures === '') throw new NoDataError(`qdisc statistics unavailable: ${UNAVAILABLE}`);
        const include = options.regex(INCLUDE);
        const exclude = options.regex(EXCLUDE);
        if (include && exclude) throw new Error('collector.qdisc.device-include and collector.qdisc.device-exclude are mutually exclusive');
        const out = new FamilySet();
        for (const q of await readQdiscFixture(fixtures)) {
          // Only root qdiscs, as node_exporter.
          if (q.parent !== 0) continue;
          if (exclude?.test(q.ifaceName) || (include && !include.test(q.ifaceName))) continue;
          const labels = { device: q.ifaceName, kind: q.kind };
          out.counter('node_qdisc_bytes_total', 'Number of bytes sent.', q.bytes, labels);
          out.counter('node_qdisc_packets_total', 'Number of packets sent.', q.packets, labels);
          out.counter('node_qdisc_drops_total', 'Number of packets dropped.', q.drops, labels);
          out.counter('node_qdisc_requeues_total', 'Number of packets dequeued, not transmitted, and requeued.', q.requeues, labels);
          out.counter('node_qdisc_overlimits_total', 'Number of overlimit packets.', q.overlimits, labels);
          out.gauge('node_qdisc_current_queue_length', 'Number of packets currently in queue to be sent.', q.qlen, labels);
          out.gauge('node_qdisc_backlog', 'Number of bytes currently in queue to be sent.', q.backlog, labels);
        }
        return out.toArray();
      },
    };
  },
};

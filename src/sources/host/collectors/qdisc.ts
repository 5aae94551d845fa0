/**
 * The qdisc collector: every root queueing discipline of this network
 * namespace, over rtnetlink through the native addon, or node_exporter's JSON
 * fixtures when --collector.qdisc.fixtures is given (its end-to-end test).
 */
import { FamilySet } from '../../../model/family.ts';
import type { CollectorDefinition } from '../machinery/collector.ts';
import { nativeAddon } from '../machinery/native.ts';
import { readQdiscFixture, readQdiscs } from '../netlink/qdisc.ts';

const FIXTURES = 'collector.qdisc.fixtures';
const INCLUDE = 'collector.qdisc.device-include';
const EXCLUDE = 'collector.qdisc.device-exclude';

export const qdisc: CollectorDefinition = {
  name: 'qdisc',
  defaultEnabled: false,
  description: 'Exposes queuing discipline statistics.',
  options: [
    {
      name: FIXTURES,
      kind: 'string',
      default: '',
      path: true,
      help: 'test fixtures to use for qdisc collector end-to-end testing (a directory holding results.json).',
    },
    { name: INCLUDE, kind: 'regex', default: '', help: 'Regexp of qdisc devices to include (mutually exclusive to device-exclude).' },
    { name: EXCLUDE, kind: 'regex', default: '', help: 'Regexp of qdisc devices to exclude (mutually exclusive to device-include).' },
  ],
  create: ({ options, log }) => {
    const fixtures = options.string(FIXTURES);
    return {
      collect: async () => {
        const include = options.regex(INCLUDE);
        const exclude = options.regex(EXCLUDE);
        if (include && exclude) throw new Error('collector.qdisc.device-include and collector.qdisc.device-exclude are mutually exclusive');
        const qdiscs = fixtures === '' ? readQdiscs(nativeAddon(log).netlinkRequest) : await readQdiscFixture(fixtures);
        const out = new FamilySet();
        for (const q of qdiscs) {
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

import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readSoftnet } from '../procfs/softnet.ts';

export const softnet: CollectorDefinition = {
  name: 'softnet',
  defaultEnabled: true,
  description: 'Exposes statistics from /proc/net/softnet_stat.',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const s of await readSoftnet(paths.procfs)) {
      const labels = { cpu: String(s.index) };
      out.counter('node_softnet_processed_total', 'Number of processed packets', s.processed, labels);
      out.counter('node_softnet_dropped_total', 'Number of dropped packets', s.dropped, labels);
      out.counter('node_softnet_times_squeezed_total', 'Number of times processing packets ran out of quota', s.timeSqueezed, labels);
      out.counter('node_softnet_cpu_collision_total', 'Number of collision occur while obtaining device lock while transmitting', s.cpuCollision, labels);
      out.counter('node_softnet_received_rps_total', 'Number of times cpu woken up received_rps', s.receivedRps, labels);
      out.counter('node_softnet_flow_limit_count_total', 'Number of times flow limit has been reached', s.flowLimitCount, labels);
      out.gauge('node_softnet_backlog_len', 'Softnet backlog status', s.backlogLength, labels);
    }
    return out.toArray();
  }),
};

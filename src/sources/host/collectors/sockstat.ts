import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { pageSize } from '../procfs/pagesize.ts';
import { readSockstat, type Sockstat } from '../procfs/sockstat.ts';

const STATES = ['inuse', 'orphan', 'tw', 'alloc', 'mem', 'memory'] as const;

function addSockstat(out: FamilySet, stat: Sockstat, ipv6: boolean): void {
  if (!ipv6 && stat.used !== undefined) out.gauge('node_sockstat_sockets_used', 'Number of IPv4 sockets in use.', stat.used);
  for (const p of stat.protocols) {
    const values: Array<[string, number | undefined]> = STATES.map((s) => [s, p[s]]);
    // mem is in pages; node_exporter adds it in bytes too.
    if (p.mem !== undefined) values.push(['mem_bytes', p.mem * pageSize()]);
    for (const [state, value] of values) {
      if (value !== undefined) out.gauge(`node_sockstat_${p.protocol}_${state}`, `Number of ${p.protocol} sockets in state ${state}.`, value);
    }
  }
}

export const sockstat: CollectorDefinition = {
  name: 'sockstat',
  defaultEnabled: true,
  description: 'Exposes various statistics from /proc/net/sockstat and /proc/net/sockstat6.',
  create: stateless(async ({ paths }) => {
    const [v4, v6] = await Promise.all([readSockstat(paths.procfs, 'sockstat'), readSockstat(paths.procfs, 'sockstat6')]);
    const out = new FamilySet();
    if (v4) addSockstat(out, v4, false);
    if (v6) addSockstat(out, v6, true);
    return out.toArray();
  }),
};

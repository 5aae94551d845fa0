import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { tryParseGoFloat } from '../kernel-files/parse.ts';
import { readNetStats } from '../procfs/netstat.ts';

const DEFAULT_FIELDS =
  '^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$';

export const netstat: CollectorDefinition = {
  name: 'netstat',
  defaultEnabled: true,
  description: 'Exposes network statistics from /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6.',
  options: [{ name: 'collector.netstat.fields', kind: 'regex', default: DEFAULT_FIELDS, help: 'Regexp of fields to return for netstat collector.' }],
  create: stateless(async ({ paths, options }) => {
    const pattern = options.regex('collector.netstat.fields');
    const stats = await readNetStats(paths.procfs);
    const out = new FamilySet();
    for (const [protocol, values] of stats) {
      for (const [name, text] of values) {
        const key = `${protocol}_${name}`;
        // Like node_exporter, any unparsable value fails the collection, selected or not.
        const value = tryParseGoFloat(text);
        if (value === undefined) throw new Error(`invalid value ${JSON.stringify(text)} for ${key} in netstats`);
        if (pattern && !pattern.test(key)) continue;
        out.untyped(`node_netstat_${key}`, `Statistic ${protocol}${name}.`, value);
      }
    }
    return out.toArray();
  }),
};

import { readParsed, readParsedIfExists } from '../kernel-files/read.ts';
import { fields } from '../kernel-files/parse.ts';
import path from 'node:path';

/** Counters by protocol then field name, as the text the kernel printed. */
export type NetStats = Map<string, Map<string, string>>;

/**
 * Parses /proc/net/netstat and /proc/net/snmp: pairs of lines, a header
 * ("Tcp: ActiveOpens PassiveOpens ...") then its values ("Tcp: 3556 230 ...").
 * Split on single spaces like node_exporter, so the two lines of a pair must
 * have exactly the same number of fields.
 */
export function parseNetStats(text: string): NetStats {
  const stats: NetStats = new Map();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i += 2) {
    const names = lines[i]!.split(' ');
    const values = (lines[i + 1] ?? '').split(' ');
    const protocol = names[0]!.replace(/:$/, '');
    if (names.length !== values.length) throw new Error(`line ${i + 1}: ${protocol} has ${names.length - 1} names but ${values.length - 1} values`);
    const fieldsOf = new Map<string, string>();
    for (let k = 1; k < names.length; k++) fieldsOf.set(names[k]!, values[k]!);
    stats.set(protocol, fieldsOf);
  }
  return stats;
}

/** Parses /proc/net/snmp6: one "Ip6InReceives  7" per line; the protocol is the name up to its first "6". */
export function parseSnmp6(text: string): NetStats {
  const stats: NetStats = new Map();
  for (const line of text.split('\n')) {
    const cols = fields(line);
    if (cols.length < 2) continue;
    const six = cols[0]!.indexOf('6');
    if (six === -1) continue;
    const protocol = cols[0]!.slice(0, six + 1);
    let fieldsOf = stats.get(protocol);
    if (!fieldsOf) stats.set(protocol, (fieldsOf = new Map()));
    fieldsOf.set(cols[0]!.slice(six + 1), cols[1]!);
  }
  return stats;
}

/**
 * net/netstat, net/snmp and net/snmp6 merged by protocol (snmp6 is absent
 * when IPv6 is disabled; the other two must exist).
 */
export async function readNetStats(procfs: string): Promise<NetStats> {
  const netstat = await readParsed(path.join(procfs, 'net', 'netstat'), parseNetStats);
  const snmp = await readParsed(path.join(procfs, 'net', 'snmp'), parseNetStats);
  const snmp6 = (await readParsedIfExists(path.join(procfs, 'net', 'snmp6'), parseSnmp6)) ?? new Map();
  return new Map([...netstat, ...snmp, ...snmp6]);
}

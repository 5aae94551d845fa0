import { readParsedIfExists } from '../kernel-files/read.ts';
import path from 'node:path';

/** One protocol line of /proc/net/sockstat{,6}; absent keys stay undefined. */
interface SockstatProtocol {
  protocol: string;
  inuse: number;
  orphan?: number;
  tw?: number;
  alloc?: number;
  mem?: number;
  memory?: number;
}

export interface Sockstat {
  /** "sockets: used N" (IPv4 file only). */
  used?: number;
  protocols: SockstatProtocol[];
}

const KNOWN_KEYS = ['orphan', 'tw', 'alloc', 'mem', 'memory'] as const;

/** Parses /proc/net/sockstat or sockstat6 ("TCP: inuse 4 orphan 0 tw 4 alloc 17 mem 1"). */
export function parseSockstat(text: string): Sockstat {
  const out: Sockstat = { protocols: [] };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const parts = line.split(' ');
    if (parts.length < 3 || (parts.length - 1) % 2 !== 0) throw new Error(`line ${i + 1}: malformed sockstat line ${JSON.stringify(line)}`);
    const kv = new Map<string, number>();
    for (let k = 1; k < parts.length; k += 2) {
      const value = parts[k + 1]!;
      if (!/^[+-]?\d+$/.test(value)) throw new Error(`line ${i + 1}: invalid value ${JSON.stringify(value)} for ${parts[k]}`);
      kv.set(parts[k]!, Number(value));
    }
    const protocol = parts[0]!.replace(/:$/, '');
    if (protocol === 'sockets') {
      out.used = kv.get('used') ?? 0;
      return;
    }
    const p: SockstatProtocol = { protocol, inuse: kv.get('inuse') ?? 0 };
    for (const key of KNOWN_KEYS) if (kv.has(key)) p[key] = kv.get(key)!;
    out.protocols.push(p);
  });
  return out;
}

/** Reads net/sockstat or net/sockstat6; undefined when absent (IPv4/IPv6 disabled). */
export function readSockstat(procfs: string, file: 'sockstat' | 'sockstat6'): Promise<Sockstat | undefined> {
  return readParsedIfExists(path.join(procfs, 'net', file), parseSockstat);
}

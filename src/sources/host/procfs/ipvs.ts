import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fields, parseUint } from '../kernel-files/parse.ts';

/** The totals of /proc/net/ip_vs_stats. */
export interface IpvsStats {
  connections: number;
  incomingPackets: number;
  outgoingPackets: number;
  incomingBytes: number;
  outgoingBytes: number;
}

/** One real server of /proc/net/ip_vs, under its virtual service. */
export interface IpvsBackend {
  /** "" for firewall-mark (FWM) services, which have no address. */
  localAddress: string;
  localPort: number;
  localMark: string;
  remoteAddress: string;
  remotePort: number;
  proto: string;
  weight: number;
  activeConn: number;
  inactConn: number;
}

function parseHexUint(text: string, where: string): number {
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new Error(`${where}: expected a hexadecimal number, got ${JSON.stringify(text)}`);
  return Number(BigInt(`0x${text}`));
}

/** Parses ip_vs_stats: two header lines, then the five hexadecimal totals. */
export function parseIpvsStats(text: string): IpvsStats {
  const lines = text.split('\n');
  if (lines.length < 4) throw new Error('ip_vs_stats corrupt: too short');
  const f = fields(lines[2]!);
  if (f.length !== 5) throw new Error('ip_vs_stats corrupt: unexpected number of fields');
  const [connections, incomingPackets, outgoingPackets, incomingBytes, outgoingBytes] = f.map((v) => parseHexUint(v, 'ip_vs_stats')) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { connections, incomingPackets, outgoingPackets, incomingBytes, outgoingBytes };
}

/** Parses ip_vs: virtual service lines (TCP/UDP addr:port, or FWM mark) each followed by "->" real server lines. */
export function parseIpvsBackends(text: string): IpvsBackend[] {
  const out: IpvsBackend[] = [];
  let proto = '';
  let localMark = '';
  let localAddress = '';
  let localPort = 0;
  for (const line of text.split('\n')) {
    const f = fields(line);
    if (f.length === 0) continue;
    if (f[0] === 'IP' || f[0] === 'Prot' || f[1] === 'RemoteAddress:Port') continue;
    if ((f[0] === 'TCP' || f[0] === 'UDP') && f.length >= 2) {
      proto = f[0];
      localMark = '';
      [localAddress, localPort] = parseIpPort(f[1]!);
    } else if (f[0] === 'FWM' && f.length >= 2) {
      proto = f[0];
      localMark = f[1]!;
      localAddress = '';
      localPort = 0;
    } else if (f[0] === '->' && f.length >= 6) {
      const [remoteAddress, remotePort] = parseIpPort(f[1]!);
      out.push({
        localAddress,
        localPort,
        localMark,
        remoteAddress,
        remotePort,
        proto,
        weight: parseUint(f[3]!, 'ip_vs weight'),
        activeConn: parseUint(f[4]!, 'ip_vs ActiveConn'),
        inactConn: parseUint(f[5]!, 'ip_vs InActConn'),
      });
    }
  }
  return out;
}

/** "C0A80016:0CEA" (IPv4) or "[2620:0000:...:0001]:0050" (IPv6) → address as Go prints it, port. */
export function parseIpPort(s: string): [string, number] {
  let address: string;
  if (s.length === 13) {
    const hex = s.slice(0, 8);
    if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new Error(`ip_vs: invalid IPv4 address ${JSON.stringify(hex)}`);
    address = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  } else if (s.length === 46) {
    address = formatIPv6(s.slice(1, 40));
  } else {
    throw new Error(`ip_vs: unexpected IP:Port ${JSON.stringify(s)}`);
  }
  const port = s.slice(-4);
  if (!/^[0-9a-fA-F]{4}$/.test(port)) throw new Error(`ip_vs: invalid port ${JSON.stringify(port)}`);
  return [address, parseInt(port, 16)];
}

/** Formats an IPv6 address as Go's net.IP.String() does (RFC 5952; IPv4-mapped as dotted quad). */
export function formatIPv6(text: string): string {
  const groups = parseIPv6Groups(text);
  if (!groups) throw new Error(`ip_vs: invalid IPv6 address ${JSON.stringify(text)}`);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.');
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function parseIPv6Groups(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const octets = p.split('.');
        if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) < 256)) return undefined;
        out.push((Number(octets[0]) << 8) | Number(octets[1]), (Number(octets[2]) << 8) | Number(octets[3]));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

export async function readIpvsStats(procfs: string): Promise<IpvsStats> {
  return parseIpvsStats(await readFile(path.join(procfs, 'net', 'ip_vs_stats'), 'utf8'));
}

export async function readIpvsBackends(procfs: string): Promise<IpvsBackend[]> {
  return parseIpvsBackends(await readFile(path.join(procfs, 'net', 'ip_vs'), 'utf8'));
}

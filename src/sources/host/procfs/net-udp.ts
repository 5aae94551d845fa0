import { readParsedIfExists } from '../kernel-files/read.ts';
import { fields } from '../kernel-files/parse.ts';
import path from 'node:path';

/** Totals over the sockets of /proc/net/udp or udp6, as procfs' NetIPSocketSummary. */
export interface UdpSummary {
  txQueue: number;
  rxQueue: number;
  sockets: number;
  drops: number;
}

const HEX_RE = /^[0-9a-fA-F]+$/;

function hex(text: string | undefined, what: string, line: number): number {
  if (text === undefined || !HEX_RE.test(text)) throw new Error(`line ${line}: invalid ${what} ${JSON.stringify(text ?? '')}`);
  return parseInt(text, 16);
}

function decimal(text: string | undefined, what: string, line: number): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new Error(`line ${line}: invalid ${what} ${JSON.stringify(text ?? '')}`);
  return Number(text);
}

/** Parses /proc/net/udp{,6}: a header line, then one socket per line ("tx_queue:rx_queue" in hex in column 5, drops in column 13). */
export function parseUdpSockets(text: string): UdpSummary {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const sum: UdpSummary = { txQueue: 0, rxQueue: 0, sockets: 0, drops: 0 };
  for (let i = 1; i < lines.length; i++) {
    const cols = fields(lines[i]!);
    const n = i + 1;
    if (cols.length < 13) throw new Error(`line ${n}: ${cols.length} columns, expected at least 13`);
    for (const [col, what] of [
      [1, 'local_address'],
      [2, 'rem_address'],
    ] as const) {
      const [addr, port, ...rest] = cols[col]!.split(':');
      if (rest.length > 0 || (addr!.length !== 8 && addr!.length !== 32)) throw new Error(`line ${n}: invalid ${what} ${JSON.stringify(cols[col])}`);
      hex(addr, what, n);
      hex(port, `${what} port`, n);
    }
    const queues = cols[4]!.split(':');
    if (queues.length !== 2) throw new Error(`line ${n}: invalid tx_queue:rx_queue ${JSON.stringify(cols[4])}`);
    sum.txQueue += hex(queues[0], 'tx_queue', n);
    sum.rxQueue += hex(queues[1], 'rx_queue', n);
    decimal(cols[7], 'uid', n);
    decimal(cols[9], 'inode', n);
    sum.drops += decimal(cols[12], 'drops', n);
    sum.sockets++;
  }
  return sum;
}

/** Reads net/udp or net/udp6; undefined when the file is absent (that IP version is disabled). */
export function readUdpSummary(procfs: string, file: 'udp' | 'udp6'): Promise<UdpSummary | undefined> {
  return readParsedIfExists(path.join(procfs, 'net', file), parseUdpSockets);
}

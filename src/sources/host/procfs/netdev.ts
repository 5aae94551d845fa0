import { readParsed } from '../kernel-files/read.ts';
import { fields } from '../kernel-files/parse.ts';
import path from 'node:path';

/** Counters of one device keyed by node_exporter's names (receive_bytes, transmit_colls...). */
export type DeviceCounters = Map<string, number>;

const PROC_COLUMNS = [
  'receive_bytes',
  'receive_packets',
  'receive_errors',
  'receive_dropped',
  'receive_fifo',
  'receive_frame',
  'receive_compressed',
  'receive_multicast',
  'transmit_bytes',
  'transmit_packets',
  'transmit_errors',
  'transmit_dropped',
  'transmit_fifo',
  'transmit_colls',
  'transmit_carrier',
  'transmit_compressed',
] as const;

/**
 * Parses /proc/net/dev: two header lines, then "  eth0: 123 45 ..." with 16
 * counters. The name ends at the last colon (names may contain colons, and
 * large counters may touch it: "eth0:123").
 */
export function parseNetDev(text: string): Map<string, DeviceCounters> {
  const out = new Map<string, DeviceCounters>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.lastIndexOf(':');
    if (colon === -1) throw new Error(`line ${i + 1}: missing colon`);
    const name = line.slice(0, colon).trim();
    if (name === '') throw new Error(`line ${i + 1}: empty interface name`);
    const values = fields(line.slice(colon + 1));
    if (values.length < PROC_COLUMNS.length) throw new Error(`line ${i + 1}: ${values.length} counters for ${name}, expected ${PROC_COLUMNS.length}`);
    const counters: DeviceCounters = new Map();
    PROC_COLUMNS.forEach((key, k) => {
      const v = values[k]!;
      if (!/^\d+$/.test(v)) throw new Error(`line ${i + 1}: invalid ${key} ${JSON.stringify(v)} for ${name}`);
      counters.set(key, Number(v));
    });
    out.set(name, counters);
  }
  return out;
}

export function readNetDev(procfs: string): Promise<Map<string, DeviceCounters>> {
  return readParsed(path.join(procfs, 'net', 'dev'), parseNetDev);
}

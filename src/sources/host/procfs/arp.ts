import { readParsed } from '../kernel-files/read.ts';
import { fields } from '../kernel-files/parse.ts';
import path from 'node:path';

export interface ArpEntry {
  ip: string;
  hwAddress: string;
  flags: number;
  device: string;
}

const HEADER_WIDTH = 9;
const ENTRY_WIDTH = 6;
const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5,19}$/;

/**
 * Parses /proc/net/arp. Like prometheus/procfs, a line that is neither the
 * 9-column header nor a 6-column entry makes the whole file invalid.
 */
export function parseArp(text: string): ArpEntry[] {
  const entries: ArpEntry[] = [];
  text.split('\n').forEach((line, i) => {
    const cols = fields(line);
    if (cols.length === 0 || cols.length === HEADER_WIDTH) return;
    if (cols.length !== ENTRY_WIDTH) throw new Error(`line ${i + 1}: ${cols.length} columns, expected ${ENTRY_WIDTH}`);
    const [ip, , flagsText, hwAddress, , device] = cols as [string, string, string, string, string, string];
    if (!MAC_RE.test(hwAddress)) throw new Error(`line ${i + 1}: invalid HW address ${JSON.stringify(hwAddress)}`);
    const flags = Number(flagsText);
    if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(flagsText) || flags > 0xff) throw new Error(`line ${i + 1}: invalid flags ${JSON.stringify(flagsText)}`);
    entries.push({ ip, hwAddress, flags, device });
  });
  return entries;
}

export function readArp(procfs: string): Promise<ArpEntry[]> {
  return readParsed(path.join(procfs, 'net', 'arp'), parseArp);
}

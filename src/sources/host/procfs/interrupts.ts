import path from 'node:path';
import { readText } from '../kernel-files/read.ts';
import { fields } from '../kernel-files/parse.ts';

export interface Interrupt {
  /** The row name: an IRQ number ("16") or a mnemonic ("NMI", "LOC"). */
  name: string;
  /** Numbered IRQs: the controller/type ("IR-IO-APIC-fasteoi"); others: the description. */
  info: string;
  /** Numbered IRQs: the devices sharing it ("ehci_hcd:usb1, mmc0"); others: empty. */
  devices: string;
  /** Per-CPU counts as written (one per CPU column). */
  values: string[];
}

/**
 * Parses /proc/interrupts as node_exporter does: the header gives the CPU
 * count; rows with fewer columns than that (ERR, MIS) are skipped; a later
 * row with the same name replaces an earlier one.
 */
export function parseInterrupts(text: string, file = '/proc/interrupts'): Interrupt[] {
  const lines = text.split('\n');
  if (lines.length === 0 || (lines.length === 1 && lines[0] === '')) throw new Error(`${file}: empty`);
  const cpuCount = fields(lines[0]!).length;
  const byName = new Map<string, Interrupt>();
  for (const line of lines.slice(1)) {
    // On arm64 the name and the first count may not be separated by a space.
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const parts = fields(line.slice(colon + 1));
    if (parts.length < cpuCount + 1) continue;
    const name = line.slice(0, colon).replace(/^ +/, '');
    const numbered = /^[+-]?\d+$/.test(name);
    byName.set(name, {
      name,
      values: parts.slice(0, cpuCount),
      info: numbered ? parts[cpuCount]! : parts.slice(cpuCount).join(' '),
      devices: numbered ? parts.slice(cpuCount + 1).join(' ') : '',
    });
  }
  return [...byName.values()];
}

export async function readInterrupts(procfs: string): Promise<Interrupt[]> {
  const file = path.join(procfs, 'interrupts');
  return parseInterrupts(await readText(file), file);
}

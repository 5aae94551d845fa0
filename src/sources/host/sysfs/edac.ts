import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { readUintAttr } from '../kernel-files/read.ts';
import { goTrimSpace } from '../kernel-files/parse.ts';
import { readDirNames } from '../kernel-files/dir.ts';

interface EdacChannel {
  channel: string;
  dimmLabel: string;
  correctable: number;
  /** Absent when the kernel gives no chN_ue_count. */
  uncorrectable?: number;
}

interface EdacCsrow {
  csrow: string;
  correctable: number;
  uncorrectable: number;
  channels: EdacChannel[];
}

export interface EdacController {
  controller: string;
  correctable: number;
  uncorrectable: number;
  /** Errors the driver could not attribute to a csrow. */
  correctableNoInfo: number;
  uncorrectableNoInfo: number;
  csrows: EdacCsrow[];
}

/** Names in `dir` matching a glob like mc[0-9]* (prefix then a digit), sorted; [] when `dir` is unreadable, as Go's filepath.Glob. */
async function globDigits(dir: string, prefix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readDirNames(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix) && /\d/.test(n.charAt(prefix.length)));
}

/** Reads the memory controllers of /sys/devices/system/edac/mc; [] when EDAC is absent. */
export async function readEdac(sysfs: string): Promise<EdacController[]> {
  const mcDir = path.join(sysfs, 'devices', 'system', 'edac', 'mc');
  const controllers: EdacController[] = [];
  for (const mc of await globDigits(mcDir, 'mc')) {
    const dir = path.join(mcDir, mc);
    const controller: EdacController = {
      controller: /^mc(\d*)/.exec(mc)![1]!,
      correctable: await readUintAttr(path.join(dir, 'ce_count')),
      correctableNoInfo: await readUintAttr(path.join(dir, 'ce_noinfo_count')),
      uncorrectable: await readUintAttr(path.join(dir, 'ue_count')),
      uncorrectableNoInfo: await readUintAttr(path.join(dir, 'ue_noinfo_count')),
      csrows: [],
    };
    for (const row of await globDigits(dir, 'csrow')) {
      controller.csrows.push(await readCsrow(path.join(dir, row), /^csrow(\d*)/.exec(row)![1]!));
    }
    controllers.push(controller);
  }
  return controllers;
}

async function readCsrow(dir: string, csrow: string): Promise<EdacCsrow> {
  const row: EdacCsrow = {
    csrow,
    correctable: await readUintAttr(path.join(dir, 'ce_count')),
    uncorrectable: await readUintAttr(path.join(dir, 'ue_count')),
    channels: [],
  };
  for (const name of await readDirNames(dir)) {
    // The glob ch*_ce_count, then the channel number as node_exporter's unanchored regexp finds it.
    if (!name.startsWith('ch') || !name.endsWith('_ce_count')) continue;
    const m = /ch(\d+)_ce_count/.exec(name);
    if (!m) continue;
    const channel = m[1]!;
    const channelInfo: EdacChannel = { channel, dimmLabel: await readDimmLabel(dir, channel), correctable: await readUintAttr(path.join(dir, name)) };
    try {
      channelInfo.uncorrectable = await readUintAttr(path.join(dir, `ch${channel}_ue_count`));
    } catch {
      // node_exporter skips a channel's uncorrectable count it cannot read.
    }
    row.channels.push(channelInfo);
  }
  return row;
}

/** The DIMM label, reshaped as node_exporter does ("mc#0csrow#1channel#0" → "mc0_csrow1_channel0"). */
async function readDimmLabel(csrowDir: string, channel: string): Promise<string> {
  let label: string;
  try {
    label = goTrimSpace(await readFile(path.join(csrowDir, `ch${channel}_dimm_label`), 'utf8'));
  } catch {
    return 'unknown';
  }
  return label.replaceAll('#', '').replaceAll('csrow', '_csrow').replaceAll('channel', '_channel');
}

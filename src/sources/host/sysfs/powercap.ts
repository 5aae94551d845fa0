import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { readUintAttr } from '../kernel-files/read.ts';
import { readDirNames } from '../kernel-files/dir.ts';

export interface RaplZone {
  /** Zone name without its numeric suffix ("package-0" → "package"). */
  name: string;
  /** The suffix, or the count of earlier zones of the same name when there is none. */
  index: number;
  /** The zone's directory, as node_exporter labels it (under the sysfs path as given). */
  path: string;
  maxMicrojoules: number;
}

/**
 * Lists the RAPL zones of /sys/class/powercap: every subdirectory with a
 * readable `name` file. Throws ENOENT when powercap is absent.
 */
export async function readRaplZones(sysfs: string): Promise<RaplZone[]> {
  const dir = path.join(sysfs, 'class', 'powercap');
  const zones: RaplZone[] = [];
  const uses = new Map<string, number>();
  for (const entry of await readDirNames(dir)) {
    const zoneDir = path.join(dir, entry);
    let rawName: string;
    try {
      rawName = (await readFile(path.join(zoneDir, 'name'), 'utf8')).trim();
    } catch {
      continue; // Not a zone (e.g. the intel-rapl control type directory).
    }
    const { index, name } = splitZoneName(rawName, uses);
    zones.push({ name, index, path: zoneDir, maxMicrojoules: await readUintAttr(path.join(zoneDir, 'max_energy_range_uj')) });
    uses.set(name, index + 1);
  }
  return zones;
}

/** "package-0" → (0, "package"); a name without a numeric suffix is numbered by how often it was seen. */
export function splitZoneName(name: string, uses: ReadonlyMap<string, number>): { index: number; name: string } {
  const parts = name.split('-');
  if (parts.length === 2 && /^[+-]?\d+$/.test(parts[1]!)) return { index: Number(parts[1]), name: parts[0]! };
  return { index: uses.get(name) ?? 0, name };
}

export async function readZoneEnergyMicrojoules(zone: RaplZone): Promise<number> {
  return readUintAttr(path.join(zone.path, 'energy_uj'));
}

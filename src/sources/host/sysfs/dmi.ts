import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { isPermission } from '../kernel-files/read.ts';
import { goTrimSpace } from '../kernel-files/parse.ts';
import { readDirEntries } from '../kernel-files/dir.ts';

/** The files of /sys/class/dmi/id that node_exporter turns into labels, by label name. */
export const DMI_LABEL_FILES: Readonly<Record<string, string>> = {
  bios_date: 'bios_date',
  bios_release: 'bios_release',
  bios_vendor: 'bios_vendor',
  bios_version: 'bios_version',
  board_asset_tag: 'board_asset_tag',
  board_name: 'board_name',
  board_serial: 'board_serial',
  board_vendor: 'board_vendor',
  board_version: 'board_version',
  chassis_asset_tag: 'chassis_asset_tag',
  chassis_serial: 'chassis_serial',
  chassis_vendor: 'chassis_vendor',
  chassis_version: 'chassis_version',
  product_family: 'product_family',
  product_name: 'product_name',
  product_serial: 'product_serial',
  product_sku: 'product_sku',
  product_uuid: 'product_uuid',
  product_version: 'product_version',
  system_vendor: 'sys_vendor',
};

/**
 * Reads the regular files of /sys/class/dmi/id into a name → value map.
 * Files only root may read (serials, product_uuid) are left out, as
 * node_exporter does when it runs unprivileged.
 */
export async function readDmiId(sysfs: string): Promise<Map<string, string>> {
  const dir = path.join(sysfs, 'class', 'dmi', 'id');
  const values = new Map<string, string>();
  const names = (await readDirEntries(dir)).filter((e) => e.isFile() && e.name !== 'modalias' && e.name !== 'uevent').map((e) => e.name);
  const texts = await Promise.all(
    names.map(async (name) => {
      try {
        // Invalid UTF-8 becomes U+FFFD, as node_exporter's strings.ToValidUTF8 does.
        return goTrimSpace(await readFile(path.join(dir, name), 'utf8'));
      } catch (err) {
        if (isPermission(err)) return undefined;
        throw err;
      }
    }),
  );
  names.forEach((name, i) => {
    if (texts[i] !== undefined) values.set(name, texts[i]);
  });
  return values;
}

/** udev's database (/run/udev/data/b<major>:<minor>): the E: lines are the device properties. */
import path from 'node:path';
import { readFile } from 'node:fs/promises';

export type UdevProperties = Map<string, string>;

export function parseUdevData(text: string): UdevProperties {
  const props: UdevProperties = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    if (eq === -1) continue;
    props.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return props;
}

/** Properties of block device major:minor; throws when udev has no record of it. */
export async function readBlockDeviceProperties(udevData: string, major: number, minor: number): Promise<UdevProperties> {
  return parseUdevData(await readFile(path.join(udevData, `b${major}:${minor}`), 'utf8'));
}

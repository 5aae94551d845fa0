import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { asArray, asObject, intField, parseJson, stringField, UINT32, UINT64 } from './go-json.ts';

/** One queueing discipline, as the qdisc library gives it (and node_exporter's fixtures spell it). */
export interface QdiscInfo {
  ifaceName: string;
  parent: number;
  kind: string;
  bytes: number;
  packets: number;
  drops: number;
  requeues: number;
  overlimits: number;
  qlen: number;
  backlog: number;
}

export function parseQdiscFixture(text: string, where: string): QdiscInfo[] {
  return asArray(parseJson(text, where), where).map((item, i) => {
    const o = asObject(item, `${where}[${i}]`);
    const w = `${where}[${i}]`;
    const u32 = (name: string): number => intField(o, name, w, UINT32.min, UINT32.max);
    return {
      ifaceName: stringField(o, 'IfaceName', w),
      parent: u32('Parent'),
      kind: stringField(o, 'Kind', w),
      bytes: intField(o, 'Bytes', w, UINT64.min, UINT64.max),
      packets: u32('Packets'),
      drops: u32('Drops'),
      requeues: u32('Requeues'),
      overlimits: u32('Overlimits'),
      qlen: u32('Qlen'),
      backlog: u32('Backlog'),
    };
  });
}

/** Reads `<dir>/results.json`, node_exporter's qdisc fixture. */
export async function readQdiscFixture(dir: string): Promise<QdiscInfo[]> {
  const file = path.join(dir, 'results.json');
  return parseQdiscFixture(await readFile(file, 'utf8'), file);
}

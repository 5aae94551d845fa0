import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { asArray, asObject, intField, parseJson, stringField, UINT32, UINT64 } from './go-json.ts';
import { attributeString, attributeUint, parseAttributes, parseMessage, type NetlinkRequest } from './message.ts';
import { dumpQdiscs, readLinkNames, RTM_NEWQDISC, TCMSG_BYTES } from './rtnetlink.ts';

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

const TCA_KIND = 1;
const TCA_STATS = 3;
const TCA_STATS2 = 7;
const TCA_STATS_BASIC = 1;
const TCA_STATS_QUEUE = 3;
/** tcm_parent of a root qdisc (TC_H_ROOT), which the qdisc library reports as parent 0. */
const TC_H_ROOT = 0xffffffff;

/** Bytes (u64) then packets (u32): how both struct gnet_stats_basic and struct tc_stats begin. */
function basicCounters(data: Buffer, what: string): Pick<QdiscInfo, 'bytes' | 'packets'> {
  if (data.length < 12) throw new Error(`${what} has ${data.length} bytes, needs 12`);
  return { bytes: attributeUint(data, 8, what), packets: data.readUInt32LE(8) };
}

/**
 * One RTM_NEWQDISC message as the qdisc library node_exporter uses reads it:
 * TCA_STATS2's basic and queue counters, then the legacy TCA_STATS (which the
 * kernel sends after it, so its values stand; requeues only TCA_STATS2 has).
 * `names` maps interface indexes to names.
 */
export function parseQdiscMessage(bytes: Buffer, names: ReadonlyMap<number, string>): QdiscInfo {
  const { body } = parseMessage(bytes);
  if (body.length < TCMSG_BYTES) throw new Error(`qdisc message of ${body.length} bytes is shorter than struct tcmsg`);
  const ifindex = body.readInt32LE(4);
  const parent = body.readUInt32LE(12);
  const ifaceName = names.get(ifindex);
  if (ifaceName === undefined) throw new Error(`qdisc of interface index ${ifindex}, which no interface has`);
  const q: QdiscInfo = {
    ifaceName,
    parent: parent === TC_H_ROOT ? 0 : parent,
    kind: '',
    bytes: 0,
    packets: 0,
    drops: 0,
    requeues: 0,
    overlimits: 0,
    qlen: 0,
    backlog: 0,
  };
  for (const a of parseAttributes(body.subarray(TCMSG_BYTES))) {
    if (a.type === TCA_KIND) q.kind = attributeString(a.data);
    if (a.type === TCA_STATS2) {
      for (const s of parseAttributes(a.data)) {
        if (s.type === TCA_STATS_BASIC) Object.assign(q, basicCounters(s.data, 'TCA_STATS_BASIC'));
        if (s.type === TCA_STATS_QUEUE) {
          if (s.data.length < 20) throw new Error(`TCA_STATS_QUEUE has ${s.data.length} bytes, needs 20`);
          [q.qlen, q.backlog, q.drops, q.requeues, q.overlimits] = [0, 4, 8, 12, 16].map((o) => s.data.readUInt32LE(o)) as [
            number,
            number,
            number,
            number,
            number,
          ];
        }
      }
    }
    if (a.type === TCA_STATS) {
      if (a.data.length < 36) throw new Error(`TCA_STATS has ${a.data.length} bytes, needs 36`);
      Object.assign(q, basicCounters(a.data, 'TCA_STATS'));
      [q.drops, q.overlimits, q.qlen, q.backlog] = [12, 16, 28, 32].map((o) => a.data.readUInt32LE(o)) as [number, number, number, number];
    }
  }
  return q;
}

/** Every qdisc of this network namespace over rtnetlink. */
export function readQdiscs(request: NetlinkRequest): QdiscInfo[] {
  const names = readLinkNames(request);
  return dumpQdiscs(request)
    .filter((bytes) => parseMessage(bytes).type === RTM_NEWQDISC)
    .map((bytes) => parseQdiscMessage(bytes, names));
}

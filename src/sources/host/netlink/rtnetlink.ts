/** rtnetlink (NETLINK_ROUTE) dumps: network interfaces' names and counters, and queueing disciplines. */
import { attributeString, NLM_F_DUMP, parseAttributes, parseMessage, type NetlinkRequest } from './message.ts';

const NETLINK_ROUTE = 0;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
export const RTM_NEWQDISC = 36;
const RTM_GETQDISC = 38;
const IFLA_IFNAME = 3;
const IFLA_STATS64 = 23;
/** struct ifinfomsg and struct tcmsg: the fixed part before a message's attributes. */
const IFINFOMSG_BYTES = 16;
export const TCMSG_BYTES = 20;

/** Interface names by index, from RTM_NEWLINK messages (what Go's net.InterfaceByIndex reads). */
function parseLinkNames(messages: readonly Buffer[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const bytes of messages) {
    const m = parseMessage(bytes);
    if (m.type !== RTM_NEWLINK || m.body.length < IFINFOMSG_BYTES) continue;
    const name = parseAttributes(m.body.subarray(IFINFOMSG_BYTES)).find((a) => a.type === IFLA_IFNAME);
    if (name) names.set(m.body.readInt32LE(4), attributeString(name.data));
  }
  return names;
}

export function readLinkNames(request: NetlinkRequest): Map<number, string> {
  return parseLinkNames(request(NETLINK_ROUTE, RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(IFINFOMSG_BYTES)));
}

/**
 * Each interface's struct rtnl_link_stats64 (IFLA_STATS64) as its u64 fields
 * in the struct's order, by name: one dump for every link, where sysfs takes
 * a file per counter per link. A kernel older than a field sends fewer; an
 * interface without the attribute is left out.
 */
export function readLinkStats64(request: NetlinkRequest): Map<string, number[]> {
  return parseLinkStats64(request(NETLINK_ROUTE, RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(IFINFOMSG_BYTES)));
}

export function parseLinkStats64(messages: readonly Buffer[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const bytes of messages) {
    const m = parseMessage(bytes);
    if (m.type !== RTM_NEWLINK || m.body.length < IFINFOMSG_BYTES) continue;
    let name: string | undefined;
    let stats: Buffer | undefined;
    for (const a of parseAttributes(m.body.subarray(IFINFOMSG_BYTES))) {
      if (a.type === IFLA_IFNAME) name = attributeString(a.data);
      else if (a.type === IFLA_STATS64) stats = a.data;
    }
    if (name === undefined || stats === undefined) continue;
    const fields = new Array<number>(stats.length >> 3);
    // Two 32-bit halves, not a BigInt per field: the same one rounding to a double as Go's float64(uint64).
    for (let i = 0; i < fields.length; i++) fields[i] = stats.readUInt32LE(8 * i) + stats.readUInt32LE(8 * i + 4) * 0x1_0000_0000;
    out.set(name, fields);
  }
  return out;
}

/** Every queueing discipline of every interface of this network namespace, as raw messages. */
export function dumpQdiscs(request: NetlinkRequest): Buffer[] {
  return request(NETLINK_ROUTE, RTM_GETQDISC, NLM_F_DUMP, Buffer.alloc(TCMSG_BYTES));
}

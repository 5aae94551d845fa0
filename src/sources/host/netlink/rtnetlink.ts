/** rtnetlink (NETLINK_ROUTE) dumps: network interfaces' names and counters, and queueing disciplines. */
import { attributeString, attributeUint, NLM_F_DUMP, parseAttributes, parseMessage, type NetlinkAttribute, type NetlinkRequest } from './message.ts';

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

/** One RTM_NEWLINK message: the interface's index and its attributes. */
interface Link {
  index: number;
  attributes: NetlinkAttribute[];
}

function parseLinks(messages: readonly Buffer[]): Link[] {
  const links: Link[] = [];
  for (const bytes of messages) {
    const m = parseMessage(bytes);
    if (m.type !== RTM_NEWLINK || m.body.length < IFINFOMSG_BYTES) continue;
    links.push({ index: m.body.readInt32LE(4), attributes: parseAttributes(m.body.subarray(IFINFOMSG_BYTES)) });
  }
  return links;
}

function dumpLinks(request: NetlinkRequest): Buffer[] {
  return request(NETLINK_ROUTE, RTM_GETLINK, NLM_F_DUMP, Buffer.alloc(IFINFOMSG_BYTES));
}

/** Interface names by index (what Go's net.InterfaceByIndex reads). */
export function readLinkNames(request: NetlinkRequest): Map<number, string> {
  const names = new Map<number, string>();
  for (const link of parseLinks(dumpLinks(request))) {
    const name = link.attributes.find((a) => a.type === IFLA_IFNAME);
    if (name) names.set(link.index, attributeString(name.data));
  }
  return names;
}

/**
 * Each interface's struct rtnl_link_stats64 (IFLA_STATS64) as its u64 fields
 * in the struct's order, by name: one dump for every link, where sysfs takes
 * a file per counter per link. A kernel older than a field sends fewer; an
 * interface without the attribute is left out.
 */
export function readLinkStats64(request: NetlinkRequest): Map<string, number[]> {
  return parseLinkStats64(dumpLinks(request));
}

export function parseLinkStats64(messages: readonly Buffer[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const link of parseLinks(messages)) {
    const name = link.attributes.find((a) => a.type === IFLA_IFNAME);
    const stats = link.attributes.find((a) => a.type === IFLA_STATS64)?.data;
    if (name === undefined || stats === undefined) continue;
    const fields = new Array<number>(stats.length >> 3);
    for (let i = 0; i < fields.length; i++) fields[i] = attributeUint(stats.subarray(8 * i), 8, 'IFLA_STATS64');
    out.set(attributeString(name.data), fields);
  }
  return out;
}

/** Every queueing discipline of every interface of this network namespace, as raw messages. */
export function dumpQdiscs(request: NetlinkRequest): Buffer[] {
  return request(NETLINK_ROUTE, RTM_GETQDISC, NLM_F_DUMP, Buffer.alloc(TCMSG_BYTES));
}

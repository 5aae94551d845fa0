/** rtnetlink (NETLINK_ROUTE) dumps: network interfaces' names, and queueing disciplines. */
import { attributeString, NLM_F_DUMP, parseAttributes, parseMessage, type NetlinkRequest } from './message.ts';

const NETLINK_ROUTE = 0;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
export const RTM_NEWQDISC = 36;
const RTM_GETQDISC = 38;
const IFLA_IFNAME = 3;
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

/** Every queueing discipline of every interface of this network namespace, as raw messages. */
export function dumpQdiscs(request: NetlinkRequest): Buffer[] {
  return request(NETLINK_ROUTE, RTM_GETQDISC, NLM_F_DUMP, Buffer.alloc(TCMSG_BYTES));
}

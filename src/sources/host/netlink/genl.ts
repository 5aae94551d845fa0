/** Generic netlink (NETLINK_GENERIC): resolving a family's id, and requests to it. */
import { attributeUint, encodeAttributes, parseAttributes, parseMessage, type NetlinkAttribute, type NetlinkRequest } from './message.ts';

const NETLINK_GENERIC = 16;
const GENL_ID_CTRL = 16;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const CTRL_ATTR_VERSION = 3;
/** struct genlmsghdr: command, version, two reserved bytes. */
const GENL_HEADER_BYTES = 4;

export interface GenlFamily {
  id: number;
  version: number;
}

function genlPayload(command: number, version: number, attributes: readonly NetlinkAttribute[]): Buffer {
  return Buffer.concat([Buffer.from([command, version, 0, 0]), encodeAttributes(attributes)]);
}

/** A generic netlink message's attributes (after its genlmsghdr). */
function genlAttributes(bytes: Buffer): NetlinkAttribute[] {
  const { body } = parseMessage(bytes);
  if (body.length < GENL_HEADER_BYTES) throw new Error(`generic netlink message of ${body.length} bytes is shorter than its header`);
  return parseAttributes(body.subarray(GENL_HEADER_BYTES));
}

/** The family's id and version; undefined when the kernel has no such family (ENOENT: e.g. no cfg80211 for nl80211). */
export function resolveGenlFamily(request: NetlinkRequest, name: string): GenlFamily | undefined {
  let replies: Buffer[];
  try {
    replies = request(NETLINK_GENERIC, GENL_ID_CTRL, 0, genlPayload(CTRL_CMD_GETFAMILY, 1, [{ type: CTRL_ATTR_FAMILY_NAME, data: Buffer.from(`${name}\0`) }]));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const attributes = replies.flatMap(genlAttributes);
  const id = attributes.find((a) => a.type === CTRL_ATTR_FAMILY_ID);
  const version = attributes.find((a) => a.type === CTRL_ATTR_VERSION);
  if (!id) throw new Error(`generic netlink family ${name}: the reply has no family id`);
  return { id: attributeUint(id.data, 2, 'CTRL_ATTR_FAMILY_ID'), version: version ? attributeUint(version.data, 4, 'CTRL_ATTR_VERSION') : 0 };
}

/** One request to a generic netlink family: its replies' attributes, one list per message. */
export function genlRequest(
  request: NetlinkRequest,
  family: GenlFamily,
  command: number,
  flags: number,
  attributes: readonly NetlinkAttribute[],
): NetlinkAttribute[][] {
  return request(NETLINK_GENERIC, family.id, flags, genlPayload(command, family.version, attributes)).map(genlAttributes);
}

/**
 * nl80211 over generic netlink, read as the wifi library node_exporter uses
 * reads it: interfaces (NL80211_CMD_GET_INTERFACE), the BSS an interface is
 * associated with (NL80211_CMD_GET_SCAN, the entry carrying a status) and its
 * stations (NL80211_CMD_GET_STATION).
 */
import { isUtf8 } from 'node:buffer';
import { genlRequest, resolveGenlFamily, type GenlFamily } from './genl.ts';
import { attributeString, attributeUint, NLM_F_DUMP, parseAttributes, u32Bytes, type NetlinkAttribute, type NetlinkRequest } from './message.ts';
import { formatMac, type WifiBss, type WifiInterface, type WifiReader, type WifiStation } from './wifi.ts';

const CMD_GET_INTERFACE = 5;
const CMD_GET_STATION = 17;
const CMD_GET_SCAN = 32;

const ATTR_IFINDEX = 3;
const ATTR_IFNAME = 4;
const ATTR_MAC = 6;
const ATTR_STA_INFO = 21;
const ATTR_WIPHY_FREQ = 38;
const ATTR_BSS = 47;

const BSS_BSSID = 1;
const BSS_INFORMATION_ELEMENTS = 6;
const BSS_STATUS = 9;
const IE_SSID = 0;

const STA_INFO_INACTIVE_TIME = 1;
const STA_INFO_RX_BYTES = 2;
const STA_INFO_TX_BYTES = 3;
const STA_INFO_SIGNAL = 7;
const STA_INFO_TX_BITRATE = 8;
const STA_INFO_RX_PACKETS = 9;
const STA_INFO_TX_PACKETS = 10;
const STA_INFO_TX_RETRIES = 11;
const STA_INFO_TX_FAILED = 12;
const STA_INFO_RX_BITRATE = 14;
const STA_INFO_CONNECTED_TIME = 16;
const STA_INFO_BEACON_LOSS = 18;
const STA_INFO_RX_BYTES64 = 23;
const STA_INFO_TX_BYTES64 = 24;

const RATE_INFO_BITRATE = 1;
const RATE_INFO_BITRATE32 = 5;

const u32 = (a: NetlinkAttribute, what: string): number => attributeUint(a.data, 4, what);

function parseInterface(attributes: readonly NetlinkAttribute[]): WifiInterface {
  const ifi: WifiInterface = { name: '', frequency: 0, index: 0, hardwareAddr: Buffer.alloc(0) };
  for (const a of attributes) {
    if (a.type === ATTR_IFINDEX) ifi.index = u32(a, 'NL80211_ATTR_IFINDEX');
    if (a.type === ATTR_IFNAME) ifi.name = attributeString(a.data);
    if (a.type === ATTR_MAC) ifi.hardwareAddr = Buffer.from(a.data);
    if (a.type === ATTR_WIPHY_FREQ) ifi.frequency = u32(a, 'NL80211_ATTR_WIPHY_FREQ');
  }
  return ifi;
}

/** Bytes as Go's utf8.DecodeRune walks them: each byte that starts no valid character becomes one U+FFFD. */
export function decodeSsid(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    const char = bytes.subarray(i, i + length);
    if (length > 0 && char.length === length && isUtf8(char)) {
      out += char.toString('utf8');
      i += length;
    } else {
      out += '\ufffd';
      i += 1;
    }
  }
  return out;
}

/** The SSID from 802.11 information elements (id, length, data...); a length past the end is an error. */
function ssidOf(elements: Buffer): string {
  let ssid = '';
  for (let i = 0; i < elements.length; ) {
    if (elements.length - i < 2 || elements.length - i - 2 < elements[i + 1]!) throw new Error('invalid 802.11 information element');
    if (elements[i] === IE_SSID) ssid = decodeSsid(elements.subarray(i + 2, i + 2 + elements[i + 1]!));
    i += 2 + elements[i + 1]!;
  }
  return ssid;
}

/** The first BSS with a status (the one the interface is associated with), or undefined. */
function parseBss(messages: readonly NetlinkAttribute[][]): WifiBss | undefined {
  for (const attributes of messages) {
    for (const a of attributes) {
      if (a.type !== ATTR_BSS) continue;
      const nested = parseAttributes(a.data);
      if (!nested.some((n) => n.type === BSS_STATUS)) continue;
      const bss: WifiBss = { ssid: '', bssid: '', status: 0 };
      for (const n of nested) {
        if (n.type === BSS_BSSID) bss.bssid = formatMac(n.data);
        if (n.type === BSS_STATUS) bss.status = u32(n, 'NL80211_BSS_STATUS');
        if (n.type === BSS_INFORMATION_ELEMENTS) bss.ssid = ssidOf(n.data);
      }
      return bss;
    }
  }
  return undefined;
}

/** NL80211_RATE_INFO_BITRATE32, else the 16-bit BITRATE, in bits per second (the kernel's unit is 100 kbit/s). */
function bitrate(data: Buffer): number {
  let rate = 0;
  for (const a of parseAttributes(data)) {
    if (a.type === RATE_INFO_BITRATE32) rate = u32(a, 'NL80211_RATE_INFO_BITRATE32');
    else if (a.type === RATE_INFO_BITRATE && rate === 0) rate = attributeUint(a.data, 2, 'NL80211_RATE_INFO_BITRATE');
  }
  return rate * 100 * 1000;
}

/** One station message; undefined when it carries no NL80211_ATTR_STA_INFO. */
export function parseStation(attributes: readonly NetlinkAttribute[]): WifiStation | undefined {
  let hardwareAddr = '';
  for (const a of attributes) {
    if (a.type === ATTR_MAC) hardwareAddr = formatMac(a.data);
    if (a.type !== ATTR_STA_INFO) continue;
    const s: WifiStation = {
      hardwareAddr,
      connectedNs: 0,
      inactiveNs: 0,
      receivedBytes: 0,
      transmittedBytes: 0,
      receivedPackets: 0,
      transmittedPackets: 0,
      receiveBitrate: 0,
      transmitBitrate: 0,
      signal: 0,
      transmitRetries: 0,
      transmitFailed: 0,
      beaconLoss: 0,
    };
    let rx64 = false;
    let tx64 = false;
    for (const n of parseAttributes(a.data)) {
      switch (n.type) {
        case STA_INFO_CONNECTED_TIME:
          s.connectedNs = u32(n, 'CONNECTED_TIME') * 1e9;
          break;
        case STA_INFO_INACTIVE_TIME:
          s.inactiveNs = u32(n, 'INACTIVE_TIME') * 1e6;
          break;
        // The 64-bit byte counters win over the 32-bit ones, whichever comes first.
        case STA_INFO_RX_BYTES64:
          s.receivedBytes = attributeUint(n.data, 8, 'RX_BYTES64');
          rx64 = true;
          break;
        case STA_INFO_TX_BYTES64:
          s.transmittedBytes = attributeUint(n.data, 8, 'TX_BYTES64');
          tx64 = true;
          break;
        case STA_INFO_RX_BYTES:
          if (!rx64) s.receivedBytes = u32(n, 'RX_BYTES');
          break;
        case STA_INFO_TX_BYTES:
          if (!tx64) s.transmittedBytes = u32(n, 'TX_BYTES');
          break;
        case STA_INFO_SIGNAL:
          s.signal = (attributeUint(n.data, 1, 'SIGNAL') << 24) >> 24;
          break;
        case STA_INFO_RX_PACKETS:
          s.receivedPackets = u32(n, 'RX_PACKETS');
          break;
        case STA_INFO_TX_PACKETS:
          s.transmittedPackets = u32(n, 'TX_PACKETS');
          break;
        case STA_INFO_TX_RETRIES:
          s.transmitRetries = u32(n, 'TX_RETRIES');
          break;
        case STA_INFO_TX_FAILED:
          s.transmitFailed = u32(n, 'TX_FAILED');
          break;
        case STA_INFO_BEACON_LOSS:
          s.beaconLoss = u32(n, 'BEACON_LOSS');
          break;
        case STA_INFO_RX_BITRATE:
          s.receiveBitrate = bitrate(n.data);
          break;
        case STA_INFO_TX_BITRATE:
          s.transmitBitrate = bitrate(n.data);
          break;
      }
    }
    return s;
  }
  return undefined;
}

/** ENOENT from a per-interface dump means "none", as the wifi library's os.ErrNotExist. */
function unlessAbsent<T>(read: () => T | undefined): T | undefined {
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads nl80211 through `request`; undefined when the kernel has no nl80211 (no cfg80211). */
export function nl80211Reader(request: NetlinkRequest): WifiReader | undefined {
  const family: GenlFamily | undefined = resolveGenlFamily(request, 'nl80211');
  if (!family) return undefined;
  const perInterface = (ifi: WifiInterface, command: number): NetlinkAttribute[][] => {
    const attributes = [{ type: ATTR_IFINDEX, data: u32Bytes(ifi.index ?? 0) }];
    if (ifi.hardwareAddr && ifi.hardwareAddr.length > 0) attributes.push({ type: ATTR_MAC, data: ifi.hardwareAddr });
    return genlRequest(request, family, command, NLM_F_DUMP, attributes);
  };
  return {
    interfaces: async () => genlRequest(request, family, CMD_GET_INTERFACE, NLM_F_DUMP, []).map(parseInterface),
    bss: async (ifi) => unlessAbsent(() => parseBss(perInterface(ifi, CMD_GET_SCAN))),
    stations: async (ifi) =>
      unlessAbsent(() => {
        const stations = perInterface(ifi, CMD_GET_STATION).map(parseStation);
        // One station without its information makes the whole list "not there", as the wifi library does.
        return stations.every((s) => s !== undefined) ? stations : undefined;
      }),
  };
}

/**
 * The local time zone's abbreviation ("UTC", "CET", "CEST"), as Go's
 * time.Now().Zone() gives it. JavaScript only exposes the offset; Intl's
 * short names are "GMT+1" for most zones outside the US, so the abbreviation
 * is read from the TZif file the process's zone comes from (TZ, else
 * /etc/localtime), the same file Go reads.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ZoneType {
  offsetSeconds: number;
  isDst: boolean;
  abbreviation: string;
}

interface TzInfo {
  transitions: number[];
  transitionTypes: number[];
  types: ZoneType[];
  /** POSIX TZ string of TZif v2+ files, for times after the last transition. */
  footer: string;
}

/** Parses a TZif file (RFC 8536), preferring the 64-bit v2+ block. */
export function parseTzif(buf: Buffer): TzInfo {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'TZif') throw new Error('not a TZif file');
  const version = buf[4]!;
  const header = (at: number): number[] => [0, 1, 2, 3, 4, 5].map((i) => buf.readUInt32BE(at + 20 + i * 4));
  let at = 0;
  let timeSize = 4;
  let [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = header(0) as [number, number, number, number, number, number];
  if (version >= 0x32) {
    // Skip the v1 block to the v2 header.
    at = 44 + timecnt * 4 + timecnt + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt;
    [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt] = header(at) as [number, number, number, number, number, number];
    timeSize = 8;
  }
  let p = at + 44;
  const transitions: number[] = [];
  for (let i = 0; i < timecnt; i++, p += timeSize) transitions.push(timeSize === 8 ? Number(buf.readBigInt64BE(p)) : buf.readInt32BE(p));
  const transitionTypes = [...buf.subarray(p, p + timecnt)];
  p += timecnt;
  const raw: Array<{ off: number; dst: boolean; idx: number }> = [];
  for (let i = 0; i < typecnt; i++, p += 6) raw.push({ off: buf.readInt32BE(p), dst: buf[p + 4] === 1, idx: buf[p + 5]! });
  const chars = buf.subarray(p, p + charcnt);
  p += charcnt + leapcnt * (timeSize + 4) + isstdcnt + isutcnt;
  const types = raw.map((t) => {
    const end = chars.indexOf(0, t.idx);
    return { offsetSeconds: t.off, isDst: t.dst, abbreviation: chars.toString('latin1', t.idx, end === -1 ? undefined : end) };
  });
  let footer = '';
  if (timeSize === 8 && buf[p] === 0x0a) {
    const end = buf.indexOf(0x0a, p + 1);
    if (end !== -1) footer = buf.toString('latin1', p + 1, end);
  }
  return { transitions, transitionTypes, types, footer };
}

/** The std and dst abbreviations of a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3" → CET, CEST). */
export function posixTzAbbreviations(tz: string): { std?: string; dst?: string } {
  const name = '(<[^>]+>|[A-Za-z]{3,})';
  const offset = String.raw`[+-]?\d{1,2}(?::\d{2}){0,2}`;
  const m = new RegExp(`^${name}${offset}(?:${name})?`).exec(tz);
  if (!m) return {};
  const strip = (s: string | undefined): string | undefined => s?.replace(/^<|>$/g, '');
  const out: { std?: string; dst?: string } = {};
  const std = strip(m[1]);
  const dst = strip(m[2]);
  if (std !== undefined) out.std = std;
  if (dst !== undefined) out.dst = dst;
  return out;
}

/** The abbreviation in effect at `nowSeconds` whose offset is `offsetSeconds`, or undefined. */
export function abbreviationAt(info: TzInfo, nowSeconds: number, offsetSeconds: number): string | undefined {
  let last = -1;
  for (let i = 0; i < info.transitions.length && info.transitions[i]! <= nowSeconds; i++) last = i;
  const afterLast = last === info.transitions.length - 1;
  if (!(afterLast && info.footer !== '')) {
    const type = last >= 0 ? info.types[info.transitionTypes[last]!] : info.types[0];
    if (type && type.offsetSeconds === offsetSeconds) return type.abbreviation;
  }
  if (info.footer !== '') {
    const { std, dst } = posixTzAbbreviations(info.footer);
    const matching = info.types.filter((t) => t.offsetSeconds === offsetSeconds).map((t) => t.abbreviation);
    if (dst !== undefined && matching.includes(dst)) return dst;
    if (std !== undefined && (matching.includes(std) || dst === undefined)) return std;
  }
  return info.types.filter((t) => t.offsetSeconds === offsetSeconds).at(-1)?.abbreviation;
}

/** Which TZif file Go would load for the process's zone; undefined means UTC. */
export function zoneFile(tzEnv: string | undefined): string | undefined {
  if (tzEnv === undefined) return '/etc/localtime';
  const tz = tzEnv.startsWith(':') ? tzEnv.slice(1) : tzEnv;
  if (tz === '' || tz === 'UTC') return undefined;
  if (path.isAbsolute(tz)) return tz;
  return path.join(process.env['ZONEINFO'] ?? '/usr/share/zoneinfo', tz);
}

const zoneCache = new Map<string, TzInfo | null>();

/**
 * The parsed zone file, read once per process as Go loads time.Local once
 * (and as the JavaScript runtime fixes its zone at start-up); null when it
 * cannot be read or parsed, and the runtime's own name is used instead.
 */
function loadZone(file: string): TzInfo | undefined {
  if (!zoneCache.has(file)) {
    let info: TzInfo | null = null;
    try {
      info = parseTzif(readFileSync(file));
    } catch {
      info = null;
    }
    zoneCache.set(file, info);
  }
  return zoneCache.get(file) ?? undefined;
}

/** The current zone abbreviation and offset in seconds east of UTC. */
export function localZone(now: Date, tzEnv = process.env['TZ']): { name: string; offsetSeconds: number } {
  const offsetSeconds = -now.getTimezoneOffset() * 60;
  const file = zoneFile(tzEnv);
  const info = file === undefined ? undefined : loadZone(file);
  if (info) {
    const name = abbreviationAt(info, Math.floor(now.getTime() / 1000), offsetSeconds);
    if (name) return { name, offsetSeconds };
  }
  if (offsetSeconds === 0 && file === undefined) return { name: 'UTC', offsetSeconds };
  const short = runtimeZoneFormat()
    .formatToParts(now)
    .find((p) => p.type === 'timeZoneName')?.value;
  return { name: short ?? 'UTC', offsetSeconds };
}

let zoneFormat: Intl.DateTimeFormat | undefined;

/**
 * Made once: building an Intl formatter loads ICU locale and zone data, which
 * a box without a readable zone file would otherwise pay every cycle (the
 * runtime's zone is fixed at start-up, as the zone file's cache assumes).
 */
function runtimeZoneFormat(): Intl.DateTimeFormat {
  return (zoneFormat ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }));
}

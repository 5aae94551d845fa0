/**
 * /proc/<pid>/mountstats: one "device ... mounted on ... with fstype ..." line
 * per mount; NFS mounts (with "statvers=") are followed by indented lines
 * (age, bytes, events, xprt, per-op statistics) up to a blank line. The rules
 * (field counts per statvers and transport, what is an error) are
 * prometheus/procfs's, so a file procfs rejects is rejected here too.
 */
import { readParsed } from '../kernel-files/read.ts';
import { fields, scanLines } from '../kernel-files/parse.ts';

export interface NfsByteStats {
  read: number;
  write: number;
  directRead: number;
  directWrite: number;
  readTotal: number;
  writeTotal: number;
  readPages: number;
  writePages: number;
}

/** The "events:" counters, in the kernel's order. */
const NFS_EVENT_NAMES = [
  'inodeRevalidate',
  'dnodeRevalidate',
  'dataInvalidate',
  'attributeInvalidate',
  'vfsOpen',
  'vfsLookup',
  'vfsAccess',
  'vfsUpdatePage',
  'vfsReadPage',
  'vfsReadPages',
  'vfsWritePage',
  'vfsWritePages',
  'vfsGetdents',
  'vfsSetattr',
  'vfsFlush',
  'vfsFsync',
  'vfsLock',
  'vfsFileRelease',
  'congestionWait',
  'truncation',
  'writeExtension',
  'sillyRename',
  'shortRead',
  'shortWrite',
  'jukeboxDelay',
  'pnfsRead',
  'pnfsWrite',
] as const;

export type NfsEventName = (typeof NFS_EVENT_NAMES)[number];
type NfsEventStats = Record<NfsEventName, number>;

export interface NfsOperationStats {
  operation: string;
  requests: number;
  transmissions: number;
  majorTimeouts: number;
  bytesSent: number;
  bytesReceived: number;
  // The three cumulative times stay exact: node_exporter exports them modulo 2^53, which needs all 64 bits.
  queueMilliseconds: bigint;
  responseMilliseconds: bigint;
  requestMilliseconds: bigint;
  errors: number;
}

export interface NfsTransportStats {
  protocol: string;
  port: number;
  bind: number;
  connect: number;
  connectIdleTime: number;
  /** Exact, for the same modulo 2^53 as the operation times. */
  idleTimeSeconds: bigint;
  sends: number;
  receives: number;
  badTransactionIds: number;
  cumulativeActiveRequests: number;
  cumulativeBacklog: number;
  maximumRpcSlotsUsed: number;
  cumulativeSendingQueue: number;
  cumulativePendingQueue: number;
}

export interface NfsMountStats {
  statVersion: string;
  opts: Map<string, string>;
  ageSeconds: number;
  bytes: NfsByteStats;
  events: NfsEventStats;
  operations: NfsOperationStats[];
  transports: NfsTransportStats[];
}

export interface MountStatsEntry {
  device: string;
  mountPoint: string;
  fsType: string;
  /** Present for NFS mounts that carry statistics. */
  nfs?: NfsMountStats;
}

const UINT64_MAX = (1n << 64n) - 1n;

function parseU64(text: string, where: string): bigint {
  const value = /^\d+$/.test(text) ? BigInt(text) : -1n;
  if (value < 0n || value > UINT64_MAX) throw new Error(`mountstats: ${where}: expected an unsigned 64-bit integer, got ${JSON.stringify(text.slice(0, 40))}`);
  return value;
}

function parseU64s(texts: readonly string[], where: string): bigint[] {
  return texts.map((t) => parseU64(t, where));
}

const BYTES_FIELDS = 8;

function parseBytes(values: readonly string[]): NfsByteStats {
  if (values.length !== BYTES_FIELDS) throw new Error(`mountstats: bytes: expected ${BYTES_FIELDS} fields, got ${values.length}`);
  const n = parseU64s(values, 'bytes').map(Number);
  return { read: n[0]!, write: n[1]!, directRead: n[2]!, directWrite: n[3]!, readTotal: n[4]!, writeTotal: n[5]!, readPages: n[6]!, writePages: n[7]! };
}

function parseEvents(values: readonly string[]): NfsEventStats {
  if (values.length !== NFS_EVENT_NAMES.length) throw new Error(`mountstats: events: expected ${NFS_EVENT_NAMES.length} fields, got ${values.length}`);
  const n = parseU64s(values, 'events').map(Number);
  return Object.fromEntries(NFS_EVENT_NAMES.map((name, i) => [name, n[i]!])) as NfsEventStats;
}

/** Fields after the protocol name, by statvers and protocol (rdma: at least this many). */
const TRANSPORT_FIELDS: Record<string, Record<string, number>> = {
  '1.0': { tcp: 10, udp: 7 },
  '1.1': { tcp: 13, udp: 10, rdma: 20 },
};

function parseTransport(values: readonly string[], statVersion: string): NfsTransportStats {
  const protocol = values[0]!;
  const rest = values.slice(1);
  const byProtocol = TRANSPORT_FIELDS[statVersion];
  if (!byProtocol) throw new Error(`mountstats: xprt: unrecognized statvers ${JSON.stringify(statVersion)}`);
  const expected = byProtocol[protocol];
  if (expected === undefined) throw new Error(`mountstats: xprt: unknown protocol ${JSON.stringify(protocol)} for statvers ${statVersion}`);
  if (protocol === 'rdma' ? rest.length < expected : rest.length !== expected) {
    throw new Error(`mountstats: xprt ${protocol}: expected ${expected} fields for statvers ${statVersion}, got ${rest.length}`);
  }
  let n = parseU64s(rest, `xprt ${protocol}`);
  // Align every protocol on tcp's layout: udp has no connect/connect-idle/idle
  // fields, rdma has no slot and queue fields.
  if (protocol === 'udp') n = [...n.slice(0, 2), 0n, 0n, 0n, ...n.slice(2)];
  if (protocol === 'rdma') n = [...n.slice(0, 10), 0n, 0n, 0n, ...n.slice(10)];
  const at = (i: number): bigint => n[i] ?? 0n;
  return {
    protocol,
    port: Number(at(0)),
    bind: Number(at(1)),
    connect: Number(at(2)),
    connectIdleTime: Number(at(3)),
    idleTimeSeconds: at(4),
    sends: Number(at(5)),
    receives: Number(at(6)),
    badTransactionIds: Number(at(7)),
    cumulativeActiveRequests: Number(at(8)),
    cumulativeBacklog: Number(at(9)),
    maximumRpcSlotsUsed: Number(at(10)),
    cumulativeSendingQueue: Number(at(11)),
    cumulativePendingQueue: Number(at(12)),
  };
}

const OPERATION_MIN_FIELDS = 9;

function parseOperation(f: readonly string[]): NfsOperationStats {
  if (f.length < OPERATION_MIN_FIELDS)
    throw new Error(`mountstats: per-op line ${JSON.stringify(f.join(' '))}: expected at least ${OPERATION_MIN_FIELDS} fields`);
  const operation = f[0]!.endsWith(':') ? f[0]!.slice(0, -1) : f[0]!;
  const n = parseU64s(f.slice(1), `per-op ${operation}`);
  return {
    operation,
    requests: Number(n[0]),
    transmissions: Number(n[1]),
    majorTimeouts: Number(n[2]),
    bytesSent: Number(n[3]),
    bytesReceived: Number(n[4]),
    queueMilliseconds: n[5]!,
    responseMilliseconds: n[6]!,
    requestMilliseconds: n[7]!,
    errors: Number(n[8] ?? 0n),
  };
}

function parseAge(text: string): number {
  // procfs reads it as a Go duration in seconds ("13968" + "s").
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) throw new Error(`mountstats: age: expected seconds, got ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

function parseOpts(text: string, into: Map<string, string>): void {
  for (const opt of text.split(',')) {
    const parts = opt.split('=');
    into.set(parts.length === 2 ? parts[0]! : opt, parts.length === 2 ? parts[1]! : '');
  }
}

/** A cursor over the file's lines, shared by the device loop and the NFS block parsers, as procfs shares its scanner. */
class Lines {
  private readonly lines: string[];
  private next = 0;
  constructor(text: string) {
    this.lines = scanLines(text);
  }
  /** The next line's fields, or undefined at the end of the file. */
  take(): string[] | undefined {
    return this.next < this.lines.length ? fields(this.lines[this.next++]!) : undefined;
  }
}

function requireValue(f: readonly string[], min: number): void {
  if (f.length < min) throw new Error(`mountstats: incomplete NFS line ${JSON.stringify(f.join(' '))}`);
}

function parseNfsBlock(lines: Lines, statVersion: string): NfsMountStats {
  const stats: NfsMountStats = {
    statVersion,
    opts: new Map(),
    ageSeconds: 0,
    bytes: { read: 0, write: 0, directRead: 0, directWrite: 0, readTotal: 0, writeTotal: 0, readPages: 0, writePages: 0 },
    events: Object.fromEntries(NFS_EVENT_NAMES.map((name) => [name, 0])) as NfsEventStats,
    operations: [],
    transports: [],
  };
  for (let f = lines.take(); f && f.length > 0; f = lines.take()) {
    const key = f[0]!;
    if (key === 'opts:') {
      requireValue(f, 2);
      parseOpts(f[1]!, stats.opts);
    } else if (key === 'age:') {
      requireValue(f, 2);
      stats.ageSeconds = parseAge(f[1]!);
    } else if (key === 'bytes:') {
      requireValue(f, 2);
      stats.bytes = parseBytes(f.slice(1));
    } else if (key === 'events:') {
      requireValue(f, 2);
      stats.events = parseEvents(f.slice(1));
    } else if (key === 'xprt:') {
      requireValue(f, 3);
      stats.transports.push(parseTransport(f.slice(1), statVersion));
    } else if (key === 'per-op') {
      break;
    }
  }
  // procfs reads per-operation lines after the block's header lines end, whether
  // they ended at "per-op statistics" or at a blank line; a blank line ends them.
  for (let f = lines.take(); f && f.length > 0; f = lines.take()) stats.operations.push(parseOperation(f));
  return stats;
}

const DEVICE_FIELDS = 8;

function parseDeviceLine(f: readonly string[]): MountStatsEntry {
  const shape = f.length >= DEVICE_FIELDS && f[2] === 'mounted' && f[3] === 'on' && f[5] === 'with' && f[6] === 'fstype';
  if (!shape) throw new Error(`mountstats: malformed device line ${JSON.stringify(f.join(' '))}`);
  return { device: f[1]!, mountPoint: f[4]!, fsType: f[7]! };
}

export function parseMountStats(text: string): MountStatsEntry[] {
  const lines = new Lines(text);
  const mounts: MountStatsEntry[] = [];
  for (let f = lines.take(); f; f = lines.take()) {
    if (f[0] !== 'device') continue;
    const mount = parseDeviceLine(f);
    if (f.length > DEVICE_FIELDS) {
      if (mount.fsType !== 'nfs' && mount.fsType !== 'nfs4')
        throw new Error(`mountstats: statistics for fstype ${JSON.stringify(mount.fsType)} cannot be parsed`);
      const statVersion = f[8]!.startsWith('statvers=') ? f[8]!.slice('statvers='.length) : f[8]!;
      mount.nfs = parseNfsBlock(lines, statVersion);
    }
    mounts.push(mount);
  }
  return mounts;
}

export function readMountStats(file: string): Promise<MountStatsEntry[]> {
  return readParsed(file, parseMountStats);
}

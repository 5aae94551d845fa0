/**
 * Parsers of the kernel's NFS RPC statistics: /proc/net/rpc/nfs (client) and
 * /proc/net/rpc/nfsd (server). Each line is a keyword and unsigned counters;
 * the procN lines start with the number of procedure counters that follow.
 * Validation follows prometheus/procfs (nfs package), whose results
 * node_exporter's nfs and nfsd collectors expose.
 */
import path from 'node:path';
import { readTextIfExists } from '../kernel-files/read.ts';
import { fields, parseUint, scanLines } from '../kernel-files/parse.ts';

/** Procedure counters by procedure name, in the kernel's order. */
export type ProcedureCounts = Record<string, number>;

/** NFSv2 procedures, in /proc order. */
const V2_PROCEDURES = [
  'Null',
  'GetAttr',
  'SetAttr',
  'Root',
  'Lookup',
  'ReadLink',
  'Read',
  'WrCache',
  'Write',
  'Create',
  'Remove',
  'Rename',
  'Link',
  'SymLink',
  'MkDir',
  'RmDir',
  'ReadDir',
  'FsStat',
] as const;

/** NFSv3 procedures, in /proc order. */
const V3_PROCEDURES = [
  'Null',
  'GetAttr',
  'SetAttr',
  'Lookup',
  'Access',
  'ReadLink',
  'Read',
  'Write',
  'Create',
  'MkDir',
  'SymLink',
  'MkNod',
  'Remove',
  'RmDir',
  'Rename',
  'Link',
  'ReadDir',
  'ReadDirPlus',
  'FsStat',
  'FsInfo',
  'PathConf',
  'Commit',
] as const;

/** NFSv4 client operations, in /proc order (older kernels give fewer: the rest count 0). */
const CLIENT_V4_PROCEDURES = [
  'Null',
  'Read',
  'Write',
  'Commit',
  'Open',
  'OpenConfirm',
  'OpenNoattr',
  'OpenDowngrade',
  'Close',
  'Setattr',
  'FsInfo',
  'Renew',
  'SetClientID',
  'SetClientIDConfirm',
  'Lock',
  'Lockt',
  'Locku',
  'Access',
  'Getattr',
  'Lookup',
  'LookupRoot',
  'Remove',
  'Rename',
  'Link',
  'Symlink',
  'Create',
  'Pathconf',
  'StatFs',
  'ReadLink',
  'ReadDir',
  'ServerCaps',
  'DelegReturn',
  'GetACL',
  'SetACL',
  'FsLocations',
  'ReleaseLockowner',
  'Secinfo',
  'FsidPresent',
  'ExchangeID',
  'CreateSession',
  'DestroySession',
  'Sequence',
  'GetLeaseTime',
  'ReclaimComplete',
  'GetDeviceInfo',
  'LayoutGet',
  'LayoutCommit',
  'LayoutReturn',
  'SecinfoNoName',
  'TestStateID',
  'FreeStateID',
  'GetDeviceList',
  'BindConnToSession',
  'DestroyClientID',
  'Seek',
  'Allocate',
  'DeAllocate',
  'LayoutStats',
  'Clone',
] as const;

/** NFSv4 server operations (proc4ops), in /proc order; RelLockOwner only on kernels >= 2.6. */
const SERVER_V4_OPERATIONS = [
  'Op0Unused',
  'Op1Unused',
  'Op2Future',
  'Access',
  'Close',
  'Commit',
  'Create',
  'DelegPurge',
  'DelegReturn',
  'GetAttr',
  'GetFH',
  'Link',
  'Lock',
  'Lockt',
  'Locku',
  'Lookup',
  'LookupRoot',
  'Nverify',
  'Open',
  'OpenAttr',
  'OpenConfirm',
  'OpenDgrd',
  'PutFH',
  'PutPubFH',
  'PutRootFH',
  'Read',
  'ReadDir',
  'ReadLink',
  'Remove',
  'Rename',
  'Renew',
  'RestoreFH',
  'SaveFH',
  'SecInfo',
  'SetAttr',
  'SetClientID',
  'SetClientIDConfirm',
  'Verify',
  'Write',
  'RelLockOwner',
] as const;

interface RpcNetwork {
  netCount: number;
  udpCount: number;
  tcpCount: number;
  tcpConnect: number;
}

export interface NfsClientStats {
  network: RpcNetwork;
  rpc: { rpcCount: number; retransmissions: number; authRefreshes: number };
  v2: ProcedureCounts;
  v3: ProcedureCounts;
  v4: ProcedureCounts;
}

export interface NfsServerStats {
  replyCache: { hits: number; misses: number; noCache: number };
  fileHandles: { stale: number; totalLookups: number; anonLookups: number; dirNoCache: number; noDirNoCache: number };
  io: { read: number; write: number };
  threads: { threads: number; fullCount: number };
  readAheadCache: { cacheSize: number; histogram: number[]; notFound: number };
  network: RpcNetwork;
  rpc: { rpcCount: number; badCount: number; badFormat: number; badAuth: number; badClient: number };
  v2: ProcedureCounts;
  v3: ProcedureCounts;
  v4: { null: number; compound: number };
  v4Ops: ProcedureCounts;
  wdelegGetattr: number;
}

function zeros(names: readonly string[]): ProcedureCounts {
  return Object.fromEntries(names.map((n) => [n, 0]));
}

function expectCount(key: string, values: number[], n: number): void {
  if (values.length !== n) throw new Error(`invalid ${key} line: expected ${n} values, got ${values.length}`);
}

function parseNetwork(values: number[]): RpcNetwork {
  expectCount('net', values, 4);
  return { netCount: values[0]!, udpCount: values[1]!, tcpCount: values[2]!, tcpConnect: values[3]! };
}

/**
 * A procN line: its first value is the number of counters that follow, which
 * must match; `min` is the fewest the kernel may give, `pad` says whether
 * fewer are allowed (missing counters then read 0).
 */
function parseProcedures(key: string, values: number[], names: readonly string[], min: number, pad = false): ProcedureCounts {
  const declared = values[0]!;
  const counters = values.slice(1);
  if (counters.length !== declared || (!pad && declared < min)) {
    throw new Error(`invalid ${key} line: declares ${declared} counters, has ${counters.length} (at least ${min} expected)`);
  }
  const out = zeros(names);
  names.forEach((name, i) => {
    if (i < counters.length) out[name] = counters[i]!;
  });
  return out;
}

/** The lines client and server files have alike; false for any other keyword. */
function parseSharedLine(stats: { network: RpcNetwork; v2: ProcedureCounts; v3: ProcedureCounts }, key: string, values: number[]): boolean {
  switch (key) {
    case 'net':
      stats.network = parseNetwork(values);
      return true;
    case 'proc2':
      stats.v2 = parseProcedures(key, values, V2_PROCEDURES, 18);
      return true;
    case 'proc3':
      stats.v3 = parseProcedures(key, values, V3_PROCEDURES, 22);
      return true;
    default:
      return false;
  }
}

/**
 * Calls `handle` with each line's keyword and counters, naming the file in any
 * error. `leading` lists keywords of which only the first N fields are
 * counters (the rest is not parsed) and at least N are required.
 */
function forEachStatsLine(text: string, file: string, handle: (key: string, values: number[]) => void, leading: Record<string, number> = {}): void {
  for (const line of scanLines(text)) {
    const parts = fields(line);
    const key = parts[0] ?? '';
    const wanted = leading[key];
    if (parts.length < 2 || (wanted !== undefined && parts.length < wanted + 1)) throw new Error(`${file}: invalid line ${JSON.stringify(line)}`);
    const values = parts.slice(1, wanted === undefined ? undefined : wanted + 1).map((v) => parseUint(v, `${file} ${key}`));
    try {
      handle(key, values);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
  }
}

/** Parses /proc/net/rpc/nfs. */
export function parseNfsClientStats(text: string, file = 'net/rpc/nfs'): NfsClientStats {
  const stats: NfsClientStats = {
    network: { netCount: 0, udpCount: 0, tcpCount: 0, tcpConnect: 0 },
    rpc: { rpcCount: 0, retransmissions: 0, authRefreshes: 0 },
    v2: zeros(V2_PROCEDURES),
    v3: zeros(V3_PROCEDURES),
    v4: zeros(CLIENT_V4_PROCEDURES),
  };
  forEachStatsLine(text, file, (key, values) => {
    switch (key) {
      case 'rpc':
        expectCount(key, values, 3);
        stats.rpc = { rpcCount: values[0]!, retransmissions: values[1]!, authRefreshes: values[2]! };
        break;
      case 'proc4':
        stats.v4 = parseProcedures(key, values, CLIENT_V4_PROCEDURES, 0, true);
        break;
      default:
        if (!parseSharedLine(stats, key, values)) throw new Error(`unknown line ${JSON.stringify(key)}`);
    }
  });
  return stats;
}

/** The th line's first two fields are counters; a histogram of floats follows that nothing reads. */
const SERVER_LEADING_COUNTERS = { th: 2 };

/** Parses /proc/net/rpc/nfsd. */
export function parseNfsServerStats(text: string, file = 'net/rpc/nfsd'): NfsServerStats {
  const stats: NfsServerStats = {
    replyCache: { hits: 0, misses: 0, noCache: 0 },
    fileHandles: { stale: 0, totalLookups: 0, anonLookups: 0, dirNoCache: 0, noDirNoCache: 0 },
    io: { read: 0, write: 0 },
    threads: { threads: 0, fullCount: 0 },
    readAheadCache: { cacheSize: 0, histogram: [], notFound: 0 },
    network: { netCount: 0, udpCount: 0, tcpCount: 0, tcpConnect: 0 },
    rpc: { rpcCount: 0, badCount: 0, badFormat: 0, badAuth: 0, badClient: 0 },
    v2: zeros(V2_PROCEDURES),
    v3: zeros(V3_PROCEDURES),
    v4: { null: 0, compound: 0 },
    v4Ops: zeros(SERVER_V4_OPERATIONS),
    wdelegGetattr: 0,
  };
  forEachStatsLine(
    text,
    file,
    (key, values) => {
      switch (key) {
        case 'rc':
          expectCount(key, values, 3);
          stats.replyCache = { hits: values[0]!, misses: values[1]!, noCache: values[2]! };
          break;
        case 'fh':
          expectCount(key, values, 5);
          stats.fileHandles = { stale: values[0]!, totalLookups: values[1]!, anonLookups: values[2]!, dirNoCache: values[3]!, noDirNoCache: values[4]! };
          break;
        case 'io':
          expectCount(key, values, 2);
          stats.io = { read: values[0]!, write: values[1]! };
          break;
        case 'th':
          stats.threads = { threads: values[0]!, fullCount: values[1]! };
          break;
        case 'ra':
          expectCount(key, values, 12);
          stats.readAheadCache = { cacheSize: values[0]!, histogram: values.slice(1, 11), notFound: values[11]! };
          break;
        case 'rpc':
          expectCount(key, values, 5);
          stats.rpc = { rpcCount: values[0]!, badCount: values[1]!, badFormat: values[2]!, badAuth: values[3]!, badClient: values[4]! };
          break;
        case 'proc4':
          if (values[0] !== 2 || values.length !== 3) throw new Error(`invalid proc4 line: expected "2 <null> <compound>"`);
          stats.v4 = { null: values[1]!, compound: values[2]! };
          break;
        case 'proc4ops':
          stats.v4Ops = parseProcedures(key, values, SERVER_V4_OPERATIONS, 39);
          break;
        case 'wdeleg_getattr':
          stats.wdelegGetattr = values[0]!;
          break;
        default:
          if (!parseSharedLine(stats, key, values)) throw new Error(`unknown line ${JSON.stringify(key)}`);
      }
    },
    SERVER_LEADING_COUNTERS,
  );
  return stats;
}

/** Reads the NFS client statistics; undefined when the host has no NFS client support loaded. */
export async function readNfsClientStats(procfs: string): Promise<NfsClientStats | undefined> {
  const file = path.join(procfs, 'net/rpc/nfs');
  const text = await readTextIfExists(file);
  return text === undefined ? undefined : parseNfsClientStats(text, file);
}

/** Reads the NFS server statistics; undefined when the host runs no NFS server. */
export async function readNfsServerStats(procfs: string): Promise<NfsServerStats | undefined> {
  const file = path.join(procfs, 'net/rpc/nfsd');
  const text = await readTextIfExists(file);
  return text === undefined ? undefined : parseNfsServerStats(text, file);
}

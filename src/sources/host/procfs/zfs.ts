/**
 * Parsers of OpenZFS kstats under /proc/spl/kstat/zfs: the "named" tables
 * (arcstats, zfetchstats, ...: one `name type data` row per statistic), each
 * pool's `io` table (a header row of field names and a row of values), its
 * `objset-*` tables (one per dataset) and its `state` file. What is parsed
 * and what is skipped follows node_exporter's zfs collector, which reads
 * these files itself.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound } from '../kernel-files/read.ts';
import { fields, parseInt64, parseUint, scanLines } from '../kernel-files/parse.ts';

/** kstat data types (lib/libspl/include/sys/kstat.h) that carry a number node_exporter exposes. */
const KSTAT_DATA_INT64 = '3';
const KSTAT_DATA_UINT64 = '4';

export interface KstatValue {
  name: string;
  value: number;
}

/** One row of a dataset's objset table; `dataset` is absent for rows before the dataset_name row. */
export interface ObjsetValue extends KstatValue {
  dataset?: string;
}

interface ZpoolIo {
  pool: string;
  values: KstatValue[];
}

interface ZpoolObjset {
  pool: string;
  file: string;
  values: ObjsetValue[];
}

interface ZpoolState {
  pool: string;
  /** The state as the kernel prints it, lower-cased (e.g. "online"). */
  state: string;
}

export interface ZfsKstats {
  /** Named tables by file name; a table this ZFS version lacks is absent. */
  tables: Map<string, KstatValue[]>;
  poolIo: ZpoolIo[];
  objsets: ZpoolObjset[];
  poolStates: ZpoolState[];
}

/**
 * The rows of a named kstat table: lines after the `name type data` header
 * with at least three fields (name, type, data). Throws when there is no
 * header, i.e. the file is not such a table.
 */
function namedRows(text: string, file: string): Array<{ line: string; parts: [string, string, string, ...string[]] }> {
  const rows: Array<{ line: string; parts: [string, string, string, ...string[]] }> = [];
  let inTable = false;
  for (const line of scanLines(text)) {
    const parts = fields(line);
    if (!inTable) inTable = parts.length === 3 && parts[0] === 'name' && parts[1] === 'type' && parts[2] === 'data';
    else if (parts.length >= 3) rows.push({ line, parts: parts as [string, string, string, ...string[]] });
  }
  if (!inTable) throw new Error(`${file}: no "name type data" header, not a kstat table`);
  return rows;
}

/** Parses a named kstat table, keeping its int64 and uint64 rows (other types, e.g. strings, are skipped). */
export function parseKstatTable(text: string, file: string): KstatValue[] {
  const out: KstatValue[] = [];
  for (const {
    parts: [name, type, data],
  } of namedRows(text, file)) {
    if (type === KSTAT_DATA_UINT64) out.push({ name, value: parseUint(data, `${file} ${name}`) });
    else if (type === KSTAT_DATA_INT64) out.push({ name, value: parseInt64(data, `${file} ${name}`) });
  }
  return out;
}

/** Parses a pool's io kstat: the row of field names starting with nread, then rows of values. */
export function parseZpoolIo(text: string, file: string): KstatValue[] {
  const out: KstatValue[] = [];
  let header: string[] | undefined;
  for (const line of scanLines(text)) {
    const parts = fields(line);
    if (!header) {
      if (parts.length >= 12 && parts[0] === 'nread') header = parts;
      continue;
    }
    if (parts.length < header.length) throw new Error(`${file}: ${parts.length} values for ${header.length} fields`);
    header.forEach((name, i) => out.push({ name, value: parseUint(parts[i]!, `${file} ${name}`) }));
  }
  return out;
}

/** Parses a dataset's objset kstat: its dataset_name row and its uint64 rows. */
export function parseZpoolObjset(text: string, file: string): ObjsetValue[] {
  const out: ObjsetValue[] = [];
  let dataset: string | undefined;
  for (const {
    line,
    parts: [name, type, data],
  } of namedRows(text, file)) {
    if (name === 'dataset_name') {
      // The name may hold spaces: take the rest of the line from where its
      // first word first occurs, exactly as node_exporter does.
      dataset = line.slice(line.indexOf(data));
    } else if (type === KSTAT_DATA_UINT64) {
      const value = parseUint(data, `${file} ${name}`);
      out.push(dataset === undefined ? { name, value } : { name, value, dataset });
    }
  }
  return out;
}

/** A pool's state file holds one word such as ONLINE or DEGRADED; only the first line counts. */
export function parseZpoolState(text: string): string {
  return (scanLines(text)[0] ?? '').toLowerCase();
}

/** Reads a kstat; undefined when it cannot be opened (the module or feature is absent, or a pool is being exported). */
async function readKstat(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isNotFound(err) || (err as NodeJS.ErrnoException).code === 'EACCES') return undefined;
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

/** Each pool directory's entries, by pool name; the named tables beside them are skipped. */
async function poolEntries(root: string, entries: string[]): Promise<Array<{ pool: string; names: string[] }>> {
  const pools = await Promise.all(
    entries.map(async (pool) => {
      try {
        return { pool, names: (await readdir(path.join(root, pool))).sort() };
      } catch (err) {
        if (isNotFound(err)) return undefined; // a named table, not a pool directory
        throw new Error(`${path.join(root, pool)}: ${(err as Error).message}`);
      }
    }),
  );
  return pools.filter((p) => p !== undefined);
}

/** Reads a file a directory listing just showed; gone means its pool is being exported, which fails the collection in node_exporter too. */
async function readListed(file: string): Promise<string> {
  const text = await readKstat(file);
  if (text === undefined) throw new Error(`${file}: vanished while reading`);
  return text;
}

/**
 * Reads the ZFS kstats: the named `tables` that exist, and every pool's io,
 * objset and state files (in the sorted order of a glob over pools). Files
 * are read concurrently: a box with many pools and datasets has hundreds.
 * Undefined when /proc/spl/kstat/zfs is absent (no ZFS module loaded).
 */
export async function readZfsKstats(procfs: string, tables: readonly string[]): Promise<ZfsKstats | undefined> {
  const root = path.join(procfs, 'spl/kstat/zfs');
  let entries: string[];
  try {
    entries = (await readdir(root)).sort();
  } catch (err) {
    if (isNotFound(err) || (err as NodeJS.ErrnoException).code === 'EACCES') return undefined;
    throw new Error(`${root}: ${(err as Error).message}`);
  }
  const [tableValues, pools] = await Promise.all([
    Promise.all(
      tables.map(async (table) => {
        const file = path.join(root, table);
        const text = await readKstat(file);
        return text === undefined ? undefined : ([table, parseKstatTable(text, file)] as const);
      }),
    ),
    poolEntries(root, entries),
  ]);
  const filesOf = (match: (name: string) => boolean): Array<{ pool: string; file: string }> =>
    pools.flatMap(({ pool, names }) => names.filter(match).map((name) => ({ pool, file: path.join(root, pool, name) })));
  const [poolIo, objsets, poolStates] = await Promise.all([
    Promise.all(filesOf((n) => n === 'io').map(async ({ pool, file }) => ({ pool, values: parseZpoolIo(await readListed(file), file) }))),
    Promise.all(
      filesOf((n) => n.startsWith('objset-')).map(async ({ pool, file }) => ({ pool, file, values: parseZpoolObjset(await readListed(file), file) })),
    ),
    Promise.all(filesOf((n) => n === 'state').map(async ({ pool, file }) => ({ pool, state: parseZpoolState(await readListed(file)) }))),
  ]);
  return { tables: new Map(tableValues.filter((t) => t !== undefined)), poolIo, objsets, poolStates };
}

import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fields } from '../kernel-files/parse.ts';

/** One md device of /proc/mdstat. */
export interface MdStat {
  name: string;
  /** raid1, raid5... or "unknown". */
  type: string;
  /** active, inactive, or the running sync: recovering, resyncing, checking, reshaping. */
  activityState: string;
  disksActive: number;
  disksTotal: number;
  disksFailed: number;
  disksDown: number;
  disksSpare: number;
  blocksTotal: number;
  blocksSynced: number;
  blocksToBeSynced: number;
}

const PERSONALITIES = 'Personalities : ';
const STATUS_LINE_RE = /(\d+) blocks .*\[(\d+)\/(\d+)\] \[([U_]+)\]/;

function parseInt64(text: string, what: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`mdstat: ${what}: expected an integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/**
 * Parses /proc/mdstat as prometheus/procfs does: a device line
 * ("md0 : active raid1 sda1[0] sdb1[1](F)"), its status line, an optional
 * bitmap line and an optional sync line.
 */
export function parseMdStat(text: string): MdStat[] {
  const lines = text.split('\n');
  const raidTypes = new Set<string>();
  const out: MdStat[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith(' ') || line.startsWith('unused')) continue;
    if (raidTypes.size === 0 && line.startsWith(PERSONALITIES)) {
      for (const word of fields(line.slice(PERSONALITIES.length))) raidTypes.add(word.slice(1, -1));
      continue;
    }
    const deviceFields = fields(line);
    if (deviceFields.length < 3) throw new Error(`mdstat: expected 3+ fields, got ${JSON.stringify(line)}`);
    const name = deviceFields[0]!;
    let state = deviceFields[2]!;
    const isRaidType = (t: string | undefined): boolean => t !== undefined && !/[([]/.test(t) && raidTypes.has(t);
    let type = 'unknown';
    if (isRaidType(deviceFields[3])) type = deviceFields[3]!;
    else if (isRaidType(deviceFields[4])) type = deviceFields[4]!;
    if (lines.length <= i + 3) throw new Error(`mdstat: too few lines for md device ${name}`);

    const status = evalStatusLine(line, lines[i + 1]!);
    const syncLine = lines[i + 2]!.includes('bitmap') ? lines[i + 3]! : lines[i + 2]!;
    let blocksSynced = status.size;
    let blocksToBeSynced = status.size;
    const recovering = syncLine.includes('recovery');
    const reshaping = syncLine.includes('reshape');
    const resyncing = syncLine.includes('resync');
    const checking = syncLine.includes('check');
    if (recovering || resyncing || checking || reshaping) {
      state = recovering ? 'recovering' : reshaping ? 'reshaping' : checking ? 'checking' : 'resyncing';
      if (syncLine.includes('PENDING') || syncLine.includes('DELAYED')) blocksSynced = 0;
      else [blocksSynced, blocksToBeSynced] = evalRecoveryLine(syncLine, name);
    }
    out.push({
      name,
      type,
      activityState: state,
      disksActive: status.active,
      disksTotal: status.total,
      disksFailed: count(line, '(F)'),
      disksDown: status.down,
      disksSpare: count(line, '(S)'),
      blocksTotal: status.size,
      blocksSynced,
      blocksToBeSynced,
    });
  }
  return out;
}

function evalStatusLine(deviceLine: string, statusLine: string): { active: number; total: number; down: number; size: number } {
  const f = fields(statusLine);
  if (f.length < 1) throw new Error(`mdstat: unexpected status line ${JSON.stringify(statusLine)}`);
  const size = parseInt64(f[0]!, `block count of status line ${JSON.stringify(statusLine)}`);
  if (deviceLine.includes('raid0') || deviceLine.includes('linear')) {
    // Only the member disks carry a [n] on these device lines.
    const total = count(deviceLine, '[');
    return { active: total, total, down: 0, size };
  }
  if (deviceLine.includes('inactive')) return { active: 0, total: 0, down: 0, size };
  const m = STATUS_LINE_RE.exec(statusLine);
  if (!m) throw new Error(`mdstat: could not find the disk counts in ${JSON.stringify(statusLine)}`);
  return { total: parseInt64(m[2]!, 'total disks'), active: parseInt64(m[3]!, 'active disks'), down: count(m[4]!, '_'), size };
}

/** "[=>...]  recovery =  8.5% (16775552/195310144) finish=17.0min speed=259783K/sec" → synced, to be synced. */
function evalRecoveryLine(line: string, device: string): [number, number] {
  const blocks = /\((\d+\/\d+)\)/.exec(line);
  if (!blocks) throw new Error(`mdstat: ${device}: unexpected sync line ${JSON.stringify(line)}`);
  const [synced, toSync] = blocks[1]!.split('/');
  // procfs also requires the percentage, finish time and speed to parse.
  const checks: Array<[RegExp, string]> = [
    [/= (.+)%/, 'percentage'],
    [/finish=(.+)min/, 'finish time'],
    [/speed=(.+)[A-Z]/, 'speed'],
  ];
  for (const [re, what] of checks) {
    const m = re.exec(line);
    if (!m || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(what === 'percentage' ? m[1]!.trim() : m[1]!)) {
      throw new Error(`mdstat: ${device}: cannot parse the ${what} of sync line ${JSON.stringify(line)}`);
    }
  }
  return [parseInt64(synced!, 'synced blocks'), parseInt64(toSync!, 'blocks to sync')];
}

export async function readMdStat(procfs: string): Promise<MdStat[]> {
  const file = path.join(procfs, 'mdstat');
  const text = await readFile(file, 'utf8');
  try {
    return parseMdStat(text);
  } catch (err) {
    throw new Error(`cannot parse ${file}: ${(err as Error).message}`, { cause: err });
  }
}

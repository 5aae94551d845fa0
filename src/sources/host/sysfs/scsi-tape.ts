import path from 'node:path';
import { readSysAttr } from '../kernel-files/read.ts';
import { parseGoInt } from '../kernel-files/parse.ts';
import { readDirNames } from '../kernel-files/dir.ts';

/** The counters of /sys/class/scsi_tape/stN/stats (times in nanoseconds). */
interface TapeCounters {
  inFlight: number;
  ioNs: number;
  otherCnt: number;
  readByteCnt: number;
  readCnt: number;
  readNs: number;
  residCnt: number;
  writeByteCnt: number;
  writeCnt: number;
  writeNs: number;
}

export interface Tape {
  name: string;
  counters: TapeCounters;
}

const FILES: Record<string, keyof TapeCounters> = {
  in_flight: 'inFlight',
  io_ns: 'ioNs',
  other_cnt: 'otherCnt',
  read_byte_cnt: 'readByteCnt',
  read_cnt: 'readCnt',
  read_ns: 'readNs',
  resid_cnt: 'residCnt',
  write_byte_cnt: 'writeByteCnt',
  write_cnt: 'writeCnt',
  write_ns: 'writeNs',
};

/**
 * Reads the tapes of /sys/class/scsi_tape. Only the stN entries are devices;
 * nstN and the a/l/m mode variants are other views of the same drive.
 * Throws ENOENT when the class is absent.
 */
export async function readScsiTapes(sysfs: string): Promise<Tape[]> {
  const classDir = path.join(sysfs, 'class', 'scsi_tape');
  const tapes: Tape[] = [];
  for (const name of await readDirNames(classDir)) {
    if (!/^st\d+$/.test(name)) continue;
    tapes.push({ name, counters: await readTapeStats(path.join(classDir, name, 'stats')) });
  }
  return tapes;
}

async function readTapeStats(dir: string): Promise<TapeCounters> {
  const counters: TapeCounters = {
    inFlight: 0,
    ioNs: 0,
    otherCnt: 0,
    readByteCnt: 0,
    readCnt: 0,
    readNs: 0,
    residCnt: 0,
    writeByteCnt: 0,
    writeCnt: 0,
    writeNs: 0,
  };
  for (const file of await readDirNames(dir)) {
    const value = await readSysAttr(path.join(dir, file));
    const key = FILES[file];
    if (key) counters[key] = parseGoInt(value, path.join(dir, file), true);
  }
  return counters;
}

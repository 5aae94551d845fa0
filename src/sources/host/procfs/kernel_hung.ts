import path from 'node:path';
import { readUintAttr } from '../kernel-files/read.ts';

/** /proc/sys/kernel/hung_task_detect_count: tasks detected as hung since boot. */
export async function readHungTaskDetectCount(procfs: string): Promise<number> {
  return readUintAttr(path.join(procfs, 'sys', 'kernel', 'hung_task_detect_count'));
}

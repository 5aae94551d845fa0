import path from 'node:path';
import { readTextIfExists } from '../kernel-files/read.ts';
import { parseUint } from '../kernel-files/parse.ts';

export interface KernelRandom {
  entropyAvailable?: number;
  poolSize?: number;
}

async function readOptionalUint(file: string): Promise<number | undefined> {
  const text = await readTextIfExists(file);
  return text === undefined ? undefined : parseUint(text.trim(), file);
}

/** Reads /proc/sys/kernel/random/{entropy_avail,poolsize}; an absent file leaves its field undefined. */
export async function readKernelRandom(procfs: string): Promise<KernelRandom> {
  const dir = path.join(procfs, 'sys', 'kernel', 'random');
  const [entropyAvailable, poolSize] = await Promise.all([readOptionalUint(path.join(dir, 'entropy_avail')), readOptionalUint(path.join(dir, 'poolsize'))]);
  const out: KernelRandom = {};
  if (entropyAvailable !== undefined) out.entropyAvailable = entropyAvailable;
  if (poolSize !== undefined) out.poolSize = poolSize;
  return out;
}

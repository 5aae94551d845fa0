import os from 'node:os';
import path from 'node:path';
import { readText } from '../kernel-files/read.ts';

export interface Uname {
  sysname: string;
  release: string;
  version: string;
  machine: string;
  nodename: string;
  domainname: string;
}

/**
 * What uname(2) returns for this process. Node's os.* call uname(2) (through
 * libuv) for everything but the NIS domain name, which is read from
 * /proc/sys/kernel/domainname: the same UTS namespace field the syscall
 * reports. `kernelDir` is there for tests; it is /proc/sys/kernel of the
 * running process, never --path.procfs, since node_exporter reports the
 * syscall's view, not a mounted host /proc.
 */
export async function readUname(kernelDir = '/proc/sys/kernel'): Promise<Uname> {
  const file = path.join(kernelDir, 'domainname');
  const domainname = (await readText(file)).replace(/\n$/, '');
  return { sysname: os.type(), release: os.release(), version: os.version(), machine: os.machine(), nodename: os.hostname(), domainname };
}

import { isNotFound } from '../kernel-files/read.ts';
import { procPath } from '../machinery/paths.ts';
import type { HostPaths } from '../machinery/collector.ts';
import { readMountInfo, type MountInfo } from './mountinfo.ts';

/**
 * The host's mounts as node_exporter 1.12's filesystem collector reads them:
 * init's view (<procfs>/1/mountinfo, the host's namespace when the agent runs
 * in a container given the host's /proc), falling back to our own
 * (<procfs>/self/mountinfo) when that file does not exist.
 */
export async function readHostMounts(paths: HostPaths): Promise<MountInfo[]> {
  try {
    return await readMountInfo(procPath(paths, '1', 'mountinfo'));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return readMountInfo(procPath(paths, 'self', 'mountinfo'));
  }
}

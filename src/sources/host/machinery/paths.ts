import path from 'node:path';
import type { HostPaths } from './collector.ts';

export function procPath(paths: HostPaths, ...parts: string[]): string {
  return path.join(paths.procfs, ...parts);
}

/** A path of the host's root filesystem (for /etc/os-release, mount points...). */
export function rootfsPath(paths: HostPaths, ...parts: string[]): string {
  return path.join(paths.rootfs, ...parts);
}

/** Strips the rootfs prefix from a mount point, as node_exporter does when running in a container. */
export function stripRootfsPrefix(paths: HostPaths, mountPoint: string): string {
  if (paths.rootfs === '/' || paths.rootfs === '') return mountPoint;
  const prefix = path.resolve(paths.rootfs);
  if (mountPoint === prefix) return '/';
  if (mountPoint.startsWith(prefix + '/')) return mountPoint.slice(prefix.length);
  return mountPoint;
}

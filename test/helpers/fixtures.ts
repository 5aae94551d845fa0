/** Locations of node_exporter's fixture tree (../shared beside the repository). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = process.env['EDGEPUSH_SHARED'] ?? path.resolve(REPO_ROOT, '..', 'shared');
export const NODE_EXPORTER_FIXTURES = path.join(SHARED, 'fixtures', 'node_exporter');
/** The directory that holds `collector/`, from which node_exporter's e2e test runs. */
export const E2E_CWD = NODE_EXPORTER_FIXTURES;
export const FIXTURES = path.join(NODE_EXPORTER_FIXTURES, 'collector', 'fixtures');
export const FIXTURE_PROC = path.join(FIXTURES, 'proc');
export const FIXTURE_SYS = path.join(FIXTURES, 'sys');
export const FIXTURE_UDEV = path.join(FIXTURES, 'udev', 'data');
export const FIXTURE_PATHS = { procfs: FIXTURE_PROC, sysfs: FIXTURE_SYS, rootfs: FIXTURES, udevData: FIXTURE_UDEV };

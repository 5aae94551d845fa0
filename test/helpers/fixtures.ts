/** Locations of node_exporter's fixture tree, vendored under test/fixtures/ (see its README). */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractTtar } from './ttar.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TEST_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const NODE_EXPORTER_FIXTURES = path.join(TEST_FIXTURES, 'node_exporter');

/** Kept as node_exporter's archives in the repository, unpacked for the tests. */
const ARCHIVES = ['sys.ttar', 'udev.ttar'];

/**
 * The repository carries sys/ and udev/ as node_exporter's .ttar archives, so
 * tests use a copy of the fixture directory (in the temp dir, shared by test
 * processes) whose sys/ and udev/ are extracted from them and whose other
 * entries link to the vendored tree. The copy is named after this checkout and
 * the archives' contents: another checkout, or changed archives, get their own.
 */
function materializedE2ECwd(): string {
  const vendored = path.join(NODE_EXPORTER_FIXTURES, 'collector', 'fixtures');
  const hash = createHash('sha256').update(vendored);
  for (const archive of ARCHIVES) hash.update(readFileSync(path.join(vendored, archive)));
  const final = path.join(os.tmpdir(), `edgepush-ne-fixtures-v3-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(path.join(final, 'collector', 'fixtures'))) return final;
  const work = mkdtempSync(`${final}.tmp-`);
  // mkdtemp makes it 0700; the packaged binary's tests read it as an unprivileged user.
  chmodSync(work, 0o755);
  const fixtures = path.join(work, 'collector', 'fixtures');
  mkdirSync(fixtures, { recursive: true });
  for (const entry of readdirSync(vendored)) {
    if (ARCHIVES.includes(entry)) extractTtar(path.join(vendored, entry), fixtures);
    else symlinkSync(path.join(vendored, entry), path.join(fixtures, entry));
  }
  try {
    renameSync(work, final);
  } catch {
    // Another test process won the race; its tree is identical.
    rmSync(work, { recursive: true, force: true });
  }
  return final;
}

/** The directory that holds `collector/`, from which node_exporter's e2e test runs. */
export const E2E_CWD = materializedE2ECwd();
export const FIXTURES = path.join(E2E_CWD, 'collector', 'fixtures');
export const FIXTURE_PROC = path.join(FIXTURES, 'proc');
export const FIXTURE_SYS = path.join(FIXTURES, 'sys');
export const FIXTURE_UDEV = path.join(FIXTURES, 'udev', 'data');
export const FIXTURE_PATHS = { procfs: FIXTURE_PROC, sysfs: FIXTURE_SYS, rootfs: FIXTURES, udevData: FIXTURE_UDEV };

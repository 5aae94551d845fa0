/** Locations of node_exporter's fixture tree (../shared beside the repository). */
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractTtar } from './ttar.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = process.env['EDGEPUSH_SHARED'] ?? path.resolve(REPO_ROOT, '..', 'shared');
export const NODE_EXPORTER_FIXTURES = path.join(SHARED, 'fixtures', 'node_exporter');

/**
 * The shared tree's sys/ was unpacked without its symlinks, which sysfs
 * collectors depend on, so tests use a copy of the fixture directory (in the
 * temp dir, built once per archive version, shared by test processes) whose
 * sys/ is extracted from sys.ttar; everything else links to the shared tree.
 * proc/self, a symlink to "10" in node_exporter's repository, was copied as a
 * plain file holding "10": the copy's proc/ is a directory of links whose
 * self is the symlink again (mountstats reads proc/self/mountstats).
 */
function materializedE2ECwd(): string {
  const shared = path.join(NODE_EXPORTER_FIXTURES, 'collector', 'fixtures');
  const archive = path.join(shared, 'sys.ttar');
  if (!existsSync(archive)) return NODE_EXPORTER_FIXTURES;
  const st = statSync(archive);
  const final = path.join(os.tmpdir(), `edgepush-ne-fixtures-v2-${st.size}-${Math.floor(st.mtimeMs)}`);
  if (existsSync(path.join(final, 'collector', 'fixtures', 'sys'))) return final;
  const work = mkdtempSync(`${final}.tmp-`);
  // mkdtemp makes it 0700; the packaged binary's tests read it as an unprivileged user.
  chmodSync(work, 0o755);
  const fixtures = path.join(work, 'collector', 'fixtures');
  mkdirSync(fixtures, { recursive: true });
  for (const entry of readdirSync(shared)) {
    if (entry === 'proc') linkProcRestoringSelf(path.join(shared, entry), path.join(fixtures, entry));
    else if (entry !== 'sys') symlinkSync(path.join(shared, entry), path.join(fixtures, entry));
  }
  extractTtar(archive, fixtures);
  try {
    renameSync(work, final);
  } catch {
    // Another test process won the race; its tree is identical.
    rmSync(work, { recursive: true, force: true });
  }
  return final;
}

function linkProcRestoringSelf(sharedProc: string, proc: string): void {
  mkdirSync(proc);
  for (const entry of readdirSync(sharedProc)) {
    const source = path.join(sharedProc, entry);
    if (entry === 'self' && lstatSync(source).isFile()) symlinkSync(readFileSync(source, 'utf8').trim(), path.join(proc, entry));
    else symlinkSync(source, path.join(proc, entry));
  }
}

/** The directory that holds `collector/`, from which node_exporter's e2e test runs. */
export const E2E_CWD = materializedE2ECwd();
export const FIXTURES = path.join(E2E_CWD, 'collector', 'fixtures');
export const FIXTURE_PROC = path.join(FIXTURES, 'proc');
export const FIXTURE_SYS = path.join(FIXTURES, 'sys');
export const FIXTURE_UDEV = path.join(FIXTURES, 'udev', 'data');
export const FIXTURE_PATHS = { procfs: FIXTURE_PROC, sysfs: FIXTURE_SYS, rootfs: FIXTURES, udevData: FIXTURE_UDEV };

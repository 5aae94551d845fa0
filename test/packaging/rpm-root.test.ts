/**
 * The .rpm installed, upgraded and erased with rpm in a test root (a copy of
 * the Debian root, which has the shell and shadow tools the scriptlets run
 * with, chrooted by rpm): files, the system user, enabling on boot,
 * %config(noreplace) keeping an admin's edit, and the erase cleaning up.
 * rpm's dependencies name Fedora/RHEL packages, hence --nodeps.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CACHE_DIR, packageVersion } from '../../scripts/lib/build.ts';
import { ensurePackage } from './build-once.ts';
import { copyRoot, debianRootUnavailable, ensureDebianRoot, has } from './debian-root.ts';

const VERSION = packageVersion();
const NEXT_VERSION = ((v: string) => {
  const [major, minor, patch] = v.split('.');
  return `${major}.${minor}.${Number(patch) + 1}`;
})(VERSION);

const skipReason = debianRootUnavailable() ?? (has('rpm') ? undefined : 'rpm is not installed (scripts/install-test-deps.sh installs it)');

let work = '';
let root = '';
let rpms: { current: string; next: string };

function rpm(args: readonly string[]): string {
  const r = spawnSync('rpm', ['--root', root, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rpm ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

function uidOf(user: string): number | undefined {
  const line = readFileSync(path.join(root, 'etc/passwd'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  return line === undefined ? undefined : Number(line.split(':')[2]);
}

const inRoot = (p: string): string => path.join(root, p);
const WANTS_LINK = 'etc/systemd/system/multi-user.target.wants/edgepush.service';

before(async () => {
  if (skipReason) return;
  const [pristine, current, next] = await Promise.all([
    ensureDebianRoot(),
    ensurePackage('rpm', 'x64'),
    ensurePackage('rpm', 'x64', { version: NEXT_VERSION }),
  ]);
  rpms = { current, next };
  work = mkdtempSync(path.join(CACHE_DIR, 'rpm-root-'));
  root = path.join(work, 'root');
  copyRoot(pristine, root);
  execFileSync('rpmdb', ['--root', root, '--initdb']);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('rpm -i, -U keeping the edited config, -e in a test root', async (t) => {
  if (skipReason) {
    t.skip(skipReason);
    return;
  }

  await t.test('install: files, user, state directory, enabled on boot', () => {
    rpm(['-i', '--nodeps', rpms.current]);
    assert.equal(rpm(['-q', 'edgepush']).trim(), `edgepush-${VERSION}-1.x86_64`);
    for (const f of [
      'usr/bin/edgepush',
      'usr/lib/edgepush/defaults.ini',
      'etc/edgepush/edgepush.ini',
      'usr/lib/systemd/system/edgepush.service',
      'usr/share/man/man1/edgepush.1.gz',
    ]) {
      assert.ok(existsSync(inRoot(f)), `/${f} installed`);
    }
    const uid = uidOf('edgepush');
    assert.ok(uid !== undefined && uid < 1000, `system user edgepush (uid ${uid})`);
    assert.equal(statSync(inRoot('var/lib/edgepush')).uid, uid);
    assert.equal(statSync(inRoot('etc/edgepush/edgepush.ini')).mode & 0o777, 0o640);
    assert.ok(lstatSync(inRoot(WANTS_LINK)).isSymbolicLink(), 'enabled: multi-user.target wants edgepush.service');
    assert.match(rpm(['-V', '--nodeps', 'edgepush']), /^$/, 'rpm -V finds nothing changed');
  });

  await t.test('upgrade: the edited edgepush.ini is kept (%config(noreplace)), the new binary is in place', () => {
    appendFileSync(inRoot('etc/edgepush/edgepush.ini'), '\n; edited by the admin\n');
    rpm(['-U', '--nodeps', rpms.next]);
    assert.equal(rpm(['-q', 'edgepush']).trim(), `edgepush-${NEXT_VERSION}-1.x86_64`);
    assert.match(readFileSync(inRoot('etc/edgepush/edgepush.ini'), 'utf8'), /; edited by the admin/);
    assert.deepEqual(
      readdirSync(inRoot('etc/edgepush')).filter((f) => /\.rpm(new|save)$/.test(f)),
      [],
    );
    const version = execFileSync(inRoot('usr/bin/edgepush'), ['version']).toString();
    assert.match(version, new RegExp(`^edgepush ${NEXT_VERSION.replaceAll('.', '\\.')} `));
    assert.ok(lstatSync(inRoot(WANTS_LINK)).isSymbolicLink(), 'still enabled');
  });

  await t.test('erase: files, link, state and user gone; the edited config saved as .rpmsave', () => {
    rpm(['-e', '--nodeps', 'edgepush']);
    for (const f of ['usr/bin/edgepush', 'usr/lib/systemd/system/edgepush.service', 'var/lib/edgepush', WANTS_LINK]) {
      assert.equal(existsSync(inRoot(f)), false, `/${f} gone`);
    }
    assert.match(readFileSync(inRoot('etc/edgepush/edgepush.ini.rpmsave'), 'utf8'), /; edited by the admin/);
    assert.equal(uidOf('edgepush'), undefined, 'user edgepush gone');
  });
});

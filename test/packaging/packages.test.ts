/**
 * The .deb and .rpm: contents, metadata, conffiles, maintainer scripts,
 * lintian, the unit's systemd security exposure and the size target.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { packageVersion } from '../../scripts/lib/build.ts';
import { commandNames } from '../../scripts/lib/manpage.ts';
import { PACKAGING_DIR } from '../../scripts/lib/package.ts';
import { runCli } from '../helpers/cli.ts';
import { ensurePackage } from './build-once.ts';

const DEB_MAX_BYTES = 32e6;
const MAX_EXPOSURE = 2.0;
const version = packageVersion();

const sh = (cmd: string, args: readonly string[]): string => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).toString();
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Paths listed by `dpkg-deb -c`, without the leading "./" and trailing "/". */
function debPaths(deb: string): string[] {
  return sh('dpkg-deb', ['-c', deb])
    .trim()
    .split('\n')
    .map((l) => (l.split(/\s+/).slice(5).join(' ').split(' -> ')[0] ?? '').replace(/^\.\//, '/').replace(/\/$/, ''));
}

const COMMON_FILES = [
  '/usr/bin/edgepush',
  '/usr/lib/edgepush/defaults.ini',
  '/etc/edgepush/edgepush.ini',
  '/etc/edgepush/conf.d',
  '/usr/share/doc/edgepush/copyright',
  '/usr/share/doc/edgepush/examples/edgepush.ini',
  '/usr/share/edgepush/alerts',
  '/usr/share/man/man1/edgepush.1.gz',
];

describe('.deb', () => {
  test('amd64 (product compression): at most 32 MB, lintian finds no error', async (t) => {
    const deb = await ensurePackage('deb', 'x64', { compression: 'product' });
    assert.equal(path.basename(deb), `edgepush_${version}_amd64.deb`);
    const bytes = statSync(deb).size;
    t.diagnostic(`${path.basename(deb)}: ${(bytes / 1e6).toFixed(1)} MB`);
    assert.ok(bytes <= DEB_MAX_BYTES, `${bytes} bytes > ${DEB_MAX_BYTES}`);
    if (!has('lintian')) {
      t.skip('lintian is not installed (scripts/install-test-deps.sh installs it)');
      return;
    }
    const r = spawnSync('lintian', ['--tag-display-limit', '0', deb], { encoding: 'utf8' });
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('E:'));
    t.diagnostic(r.stdout.trim());
    assert.deepEqual(errors, [], `lintian errors:\n${r.stdout}${r.stderr}`);
  });

  test('contents, control fields, conffiles and maintainer scripts', async () => {
    const deb = await ensurePackage('deb', 'x64');
    const paths = debPaths(deb);
    for (const f of [...COMMON_FILES, '/lib/systemd/system/edgepush.service', '/usr/share/doc/edgepush/changelog.gz']) {
      assert.ok(paths.includes(f), `${f} in the .deb (has: ${paths.join(' ')})`);
    }
    const field = (name: string): string => sh('dpkg-deb', ['-f', deb, name]).trim();
    assert.equal(field('Package'), 'edgepush');
    assert.equal(field('Version'), version);
    assert.equal(field('Architecture'), 'amd64');
    assert.match(field('Depends'), /libc6/);
    const control = mkdtempSync(path.join(tmpdir(), 'edgepush-deb-'));
    try {
      sh('dpkg-deb', ['-e', deb, control]);
      assert.equal(readFileSync(path.join(control, 'conffiles'), 'utf8'), '/etc/edgepush/edgepush.ini\n');
      for (const script of ['postinst', 'prerm', 'postrm']) {
        const file = path.join(control, script);
        assert.ok((statSync(file).mode & 0o111) !== 0, `${script} executable`);
        sh('sh', ['-n', file]);
      }
    } finally {
      rmSync(control, { recursive: true, force: true });
    }
  });

  test('arm64: the aarch64 executable, architecture arm64', async () => {
    const deb = await ensurePackage('deb', 'arm64');
    assert.equal(path.basename(deb), `edgepush_${version}_arm64.deb`);
    assert.equal(sh('dpkg-deb', ['-f', deb, 'Architecture']).trim(), 'arm64');
    const root = mkdtempSync(path.join(tmpdir(), 'edgepush-deb-'));
    try {
      sh('dpkg-deb', ['-x', deb, root]);
      assert.match(sh('readelf', ['-h', path.join(root, 'usr/bin/edgepush')]), /Machine:\s+AArch64/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('the man page documents every command of the CLI', async () => {
    const deb = await ensurePackage('deb', 'x64');
    const root = mkdtempSync(path.join(tmpdir(), 'edgepush-deb-'));
    try {
      sh('dpkg-deb', ['-x', deb, root]);
      const man = gunzipSync(readFileSync(path.join(root, 'usr/share/man/man1/edgepush.1.gz'))).toString();
      const usage = (await runCli(['--help'])).stdout;
      const commands = commandNames(usage);
      assert.ok(commands.includes('version') && commands.includes('once'), `commands parsed from --help: ${commands.join(', ')}`);
      for (const c of commands) assert.match(man, new RegExp(`^\\.SS ${c}$`, 'm'), `section for ${c}`);
      assert.match(man, /\/etc\/edgepush\/conf\.d/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('.rpm', () => {
  test('files, metadata, %config(noreplace) and scriptlets', async (t) => {
    if (!has('rpm')) {
      t.skip('rpm is not installed (scripts/install-test-deps.sh installs it)');
      return;
    }
    const rpm = await ensurePackage('rpm', 'x64');
    assert.equal(path.basename(rpm), `edgepush-${version}.x86_64.rpm`);
    const files = sh('rpm', ['-qpl', rpm]).trim().split('\n');
    for (const f of [...COMMON_FILES, '/usr/lib/systemd/system/edgepush.service', '/var/lib/edgepush']) {
      assert.ok(files.includes(f), `${f} in the .rpm (has: ${files.join(' ')})`);
    }
    const info = sh('rpm', ['-qpi', rpm]);
    assert.match(info, /^Name\s+: edgepush$/m);
    assert.match(info, new RegExp(`^Version\\s+: ${version.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(info, /^Architecture: x86_64$/m);
    assert.match(info, /^License\s+: Apache-2.0$/m);
    const flags = sh('rpm', ['-qp', '--qf', '[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME}\n]', rpm]);
    assert.match(flags, /^\/etc\/edgepush\/edgepush\.ini cn -rw-r----- root:edgepush$/m);
    assert.match(flags, /^\/var\/lib\/edgepush\s+drwxr-x--- edgepush:edgepush$/m);
    assert.match(flags, /^\/var\/lib\/edgepush\/textfile\s+drwxr-x--- edgepush:edgepush$/m);
    assert.match(flags, /^\/usr\/bin\/edgepush\s+-rwxr-xr-x root:root$/m);
    const scripts = sh('rpm', ['-qp', '--scripts', rpm]);
    for (const s of ['preinstall', 'postinstall', 'preuninstall', 'postuninstall']) assert.match(scripts, new RegExp(`^${s} scriptlet`, 'm'));
  });

  test('aarch64 package holds the arm64 executable', async (t) => {
    if (!has('rpm')) {
      t.skip('rpm is not installed (scripts/install-test-deps.sh installs it)');
      return;
    }
    const rpm = await ensurePackage('rpm', 'arm64');
    assert.equal(path.basename(rpm), `edgepush-${version}.aarch64.rpm`);
    assert.match(sh('rpm', ['-qpi', rpm]), /^Architecture: aarch64$/m);
  });
});

test('systemd unit: hardened to an exposure of at most 2.0', (t) => {
  if (!has('systemd-analyze')) {
    t.skip('systemd-analyze is not installed');
    return;
  }
  const unit = path.join(PACKAGING_DIR, 'systemd', 'edgepush.service');
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', unit], { encoding: 'utf8' });
  const m = /Overall exposure level for edgepush\.service: ([\d.]+)/.exec(r.stdout);
  assert.ok(m, `no exposure level in:\n${r.stdout}${r.stderr}`);
  t.diagnostic(`exposure ${m[1]}`);
  assert.ok(Number(m[1]) <= MAX_EXPOSURE, `exposure ${m[1]} > ${MAX_EXPOSURE}`);
  const text = readFileSync(unit, 'utf8');
  for (const line of [
    'Restart=always',
    'After=network-online.target',
    'Wants=network-online.target',
    'User=edgepush',
    'ExecReload=/bin/kill -HUP $MAINPID',
    'ProtectSystem=strict',
    'CapabilityBoundingSet=',
  ]) {
    assert.ok(text.split('\n').includes(line), `unit has ${line}`);
  }
  assert.ok(existsSync(unit));
});

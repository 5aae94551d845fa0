/**
 * The .deb (dpkg-deb) and .rpm (rpmbuild) packages of the built executables.
 * Both are made from one staged file tree per architecture; only the
 * package metadata and maintainer scripts differ. File times are clamped to
 * the commit's time (SOURCE_DATE_EPOCH) so a rebuild gives the same package.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, globSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync, constants as zlib } from 'node:zlib';
import { DIST_DIR, binaryName, gitCommit, nodeLicense, packageVersion, type Arch } from './build.ts';
import { manPage } from './manpage.ts';
import { REPO_ROOT } from './peers.ts';

export const PACKAGING_DIR = path.join(REPO_ROOT, 'packaging');
export type Format = 'deb' | 'rpm';
export const FORMATS: readonly Format[] = ['deb', 'rpm'];

const DEB_ARCH: Record<Arch, string> = { x64: 'amd64', arm64: 'arm64' };
const RPM_ARCH: Record<Arch, string> = { x64: 'x86_64', arm64: 'aarch64' };
const MAINTAINER = 'edgepush maintainers <edgepush@example.org>';
const DOC_DIR = 'usr/share/doc/edgepush';
const NODE_LICENSE_FILE = 'LICENSE.nodejs';

/**
 * product: the smallest packages (xz -9, its 64 MiB window spans the whole
 * executable); fast: for tests that only install them.
 */
export type Compression = 'product' | 'fast';

export interface PackageOptions {
  arches: readonly Arch[];
  formats?: readonly Format[];
  /** Defaults to package.json's version; the executables must have been built with it. */
  version?: string;
  /** Where the executables are (dist/ by default). */
  binDir?: string;
  outDir?: string;
  compression?: Compression;
  log?: (line: string) => void;
}

export interface BuiltPackage {
  arch: Arch;
  format: Format;
  path: string;
  bytes: number;
}

export function debName(version: string, arch: Arch): string {
  return `edgepush_${version}_${DEB_ARCH[arch]}.deb`;
}

export function rpmName(version: string, arch: Arch): string {
  return `edgepush-${version}.${RPM_ARCH[arch]}.rpm`;
}

/** The commit's time: every file of a package gets it, so rebuilds are byte-identical. */
function sourceDateEpoch(): number {
  if (process.env['SOURCE_DATE_EPOCH']) return Number(process.env['SOURCE_DATE_EPOCH']);
  try {
    return Number(
      execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim(),
    );
  } catch {
    return 0;
  }
}

/**
 * The configuration files come from the agent's packaging/ files; a comment
 * is an empty but valid configuration, used if one is missing.
 */
function configText(file: string): string {
  const p = path.join(PACKAGING_DIR, file);
  if (existsSync(p)) return readFileSync(p, 'utf8');
  return `# edgepush configuration: see /usr/share/doc/edgepush/examples and edgepush(1).\n`;
}

function write(root: string, rel: string, content: string | Buffer, mode = 0o644): void {
  const target = path.join(root, rel);
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, content);
  chmodSync(target, mode);
}

const gzip = (text: string): Buffer => gzipSync(Buffer.from(text), { level: zlib.Z_BEST_COMPRESSION });

function rfc2822(epoch: number): string {
  const d = new Date(epoch * 1000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

function copyright(): string {
  return [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: edgepush',
    '',
    'Files: *',
    'Copyright: 2026 edgepush authors',
    'License: Apache-2.0',
    ' On Debian systems the full text of the Apache License 2.0 is in',
    ' /usr/share/common-licenses/Apache-2.0.',
    '',
    'Files: usr/bin/edgepush',
    'Copyright: Node.js contributors and the authors of its bundled components,',
    ' the authors of the npm packages undici, prom-client and ini',
    'License: Node.js',
    ' /usr/bin/edgepush is the official Node.js binary with the edgepush',
    ' JavaScript bundle embedded as a single executable application. The',
    ' licence of Node.js and of the components it bundles is in',
    ` /${DOC_DIR}/${NODE_LICENSE_FILE}.`,
    '',
  ].join('\n');
}

function changelog(version: string, epoch: number): string {
  return `edgepush (${version}) unstable; urgency=medium\n\n  * Release ${version} (commit ${gitCommit()}).\n\n -- ${MAINTAINER}  ${rfc2822(epoch)}\n`;
}

/** The files both package formats install, under `root`. */
function stageCommon(root: string, arch: Arch, version: string, binDir: string, epoch: number, unitDir: string): void {
  const binary = path.join(binDir, binaryName(arch));
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run npm run build first`);
  mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  copyFileSync(binary, path.join(root, 'usr/bin/edgepush'));
  chmodSync(path.join(root, 'usr/bin/edgepush'), 0o755);

  write(root, 'usr/lib/edgepush/defaults.ini', configText('defaults.ini'));
  write(root, 'etc/edgepush/edgepush.ini', configText('edgepush.ini'));
  mkdirSync(path.join(root, 'etc/edgepush/conf.d'), { recursive: true });
  write(root, path.join(unitDir, 'edgepush.service'), readFileSync(path.join(PACKAGING_DIR, 'systemd', 'edgepush.service')));

  const doc = DOC_DIR;
  write(root, `${doc}/${NODE_LICENSE_FILE}`, nodeLicense());
  write(root, `${doc}/README.md`, readFileSync(path.join(REPO_ROOT, 'README.md')));
  write(root, `${doc}/examples/edgepush.ini`, configText('edgepush.ini'));
  write(root, `${doc}/copyright`, copyright());
  mkdirSync(path.join(root, 'usr/share/edgepush/alerts'), { recursive: true });
  for (const rule of globSync('packaging/alerts/*.{yml,yaml}', { cwd: REPO_ROOT })) {
    write(root, `usr/share/edgepush/alerts/${path.basename(rule)}`, readFileSync(path.join(REPO_ROOT, rule)));
  }
  const date = new Date(epoch * 1000).toISOString().slice(0, 10);
  write(root, 'usr/share/man/man1/edgepush.1.gz', gzip(manPage(version, date)));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function clampTimes(root: string, epoch: number): void {
  for (const p of [...walk(root), root]) utimesSync(p, epoch, epoch);
}

function installedSizeKiB(root: string): number {
  return walk(root)
    .filter((p) => !p.includes(`${path.sep}DEBIAN`) && statSync(p).isFile())
    .reduce((sum, p) => sum + Math.ceil(statSync(p).size / 1024), 0);
}

function buildDeb(stage: string, arch: Arch, version: string, epoch: number, outFile: string, binDir: string, compression: Compression): void {
  rmSync(stage, { recursive: true, force: true });
  // Debian bookworm still keeps units in /lib (lintian: systemd-service-file-outside-lib).
  stageCommon(stage, arch, version, binDir, epoch, 'lib/systemd/system');
  write(stage, `${DOC_DIR}/changelog.gz`, gzip(changelog(version, epoch)));
  write(stage, 'usr/share/lintian/overrides/edgepush', readFileSync(path.join(PACKAGING_DIR, 'deb', 'lintian-overrides')));

  const files = walk(stage).filter((p) => statSync(p).isFile());
  const md5sums = files.map((p) => `${createHash('md5').update(readFileSync(p)).digest('hex')}  ${path.relative(stage, p)}\n`).join('');
  const control = readFileSync(path.join(PACKAGING_DIR, 'deb', 'control'), 'utf8')
    .replace('@VERSION@', version)
    .replace('@ARCH@', DEB_ARCH[arch])
    .replace('@MAINTAINER@', MAINTAINER)
    .replace('@INSTALLED_SIZE@', String(installedSizeKiB(stage)));
  write(stage, 'DEBIAN/control', control);
  write(stage, 'DEBIAN/md5sums', md5sums);
  write(stage, 'DEBIAN/conffiles', '/etc/edgepush/edgepush.ini\n');
  for (const script of ['postinst', 'prerm', 'postrm']) {
    write(stage, `DEBIAN/${script}`, readFileSync(path.join(PACKAGING_DIR, 'deb', script)), 0o755);
  }
  clampTimes(stage, epoch);
  const level = compression === 'product' ? ['-Zxz', '-z9'] : ['-Zgzip', '-z1'];
  execFileSync('dpkg-deb', ['--root-owner-group', ...level, '--build', stage, outFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
  });
}

function buildRpm(work: string, arch: Arch, version: string, epoch: number, outDir: string, binDir: string, compression: Compression): string {
  rmSync(work, { recursive: true, force: true });
  const stage = path.join(work, 'stage');
  stageCommon(stage, arch, version, binDir, epoch, 'usr/lib/systemd/system');
  mkdirSync(path.join(stage, 'var/lib/edgepush/textfile'), { recursive: true });
  clampTimes(stage, epoch);
  const defines: Record<string, string> = {
    _topdir: path.join(work, 'top'),
    _rpmdir: outDir,
    _build_name_fmt: '%%{NAME}-%%{VERSION}.%%{ARCH}.rpm',
    _edgepush_stage: stage,
    _edgepush_version: version,
    _binary_payload: compression === 'product' ? 'w9.xzdio' : 'w1.gzdio',
    source_date_epoch_from_changelog: '0',
    clamp_mtime_to_source_date_epoch: '1',
    use_source_date_epoch_as_buildtime: '1',
    _buildhost: 'edgepush-build',
  };
  const args = ['-bb', '--quiet', '--target', `${RPM_ARCH[arch]}-linux`, ...Object.entries(defines).flatMap(([k, v]) => ['-D', `${k} ${v}`])];
  args.push(path.join(PACKAGING_DIR, 'rpm', 'edgepush.spec'));
  execFileSync('rpmbuild', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) } });
  return path.join(outDir, rpmName(version, arch));
}

export function buildPackages(options: PackageOptions): BuiltPackage[] {
  const log = options.log ?? ((line: string) => process.stderr.write(`package: ${line}\n`));
  const version = options.version ?? packageVersion();
  const binDir = options.binDir ?? DIST_DIR;
  const outDir = options.outDir ?? DIST_DIR;
  const formats = options.formats ?? FORMATS;
  const compression = options.compression ?? 'product';
  const epoch = sourceDateEpoch();
  mkdirSync(outDir, { recursive: true });
  const built: BuiltPackage[] = [];
  for (const arch of options.arches) {
    for (const format of formats) {
      const work = path.join(outDir, `.${format}-${arch}`);
      let file: string;
      if (format === 'deb') {
        file = path.join(outDir, debName(version, arch));
        buildDeb(work, arch, version, epoch, file, binDir, compression);
      } else {
        file = buildRpm(work, arch, version, epoch, outDir, binDir, compression);
      }
      rmSync(work, { recursive: true, force: true });
      const bytes = statSync(file).size;
      log(`${path.relative(REPO_ROOT, file)}: ${(bytes / 1e6).toFixed(1)} MB`);
      built.push({ arch, format, path: file, bytes });
    }
  }
  return built;
}

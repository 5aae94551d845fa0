/**
 * Test peers from Debian's registry: the real Pushgateway, Prometheus,
 * VictoriaMetrics and node_exporter. `apt-get download` + `dpkg-deb -x` into
 * .peers/ (no root needed once apt's lists exist); nothing else is downloaded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PEERS_DIR = process.env['EDGEPUSH_PEERS_DIR'] ?? path.join(REPO_ROOT, '.peers');

export interface PeerSpec {
  /** Debian package. */
  pkg: string;
  /** Binaries inside it, relative to the package root. */
  binaries: Record<string, string>;
}

export const PEERS = {
  pushgateway: { pkg: 'prometheus-pushgateway', binaries: { pushgateway: 'usr/bin/prometheus-pushgateway' } },
  prometheus: { pkg: 'prometheus', binaries: { prometheus: 'usr/bin/prometheus', promtool: 'usr/bin/promtool' } },
  victoriametrics: { pkg: 'victoria-metrics', binaries: { 'victoria-metrics': 'usr/bin/victoria-metrics', vmagent: 'usr/bin/vmagent' } },
  nodeExporter: { pkg: 'prometheus-node-exporter', binaries: { 'node-exporter': 'usr/bin/prometheus-node-exporter' } },
} as const satisfies Record<string, PeerSpec>;

export type PeerName = keyof typeof PEERS;

function packageRoot(pkg: string): string {
  return path.join(PEERS_DIR, 'root', pkg);
}

function hasAptLists(): boolean {
  try {
    return readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages') || f.endsWith('Packages.lz4') || f.includes('Packages'));
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Makes sure the peer's package is extracted; returns the absolute paths of its binaries. */
export function ensurePeer<N extends PeerName>(name: N): Record<keyof (typeof PEERS)[N]['binaries'], string> {
  const spec: PeerSpec = PEERS[name];
  const root = packageRoot(spec.pkg);
  const paths = Object.fromEntries(Object.entries(spec.binaries).map(([k, rel]) => [k, path.join(root, rel)])) as Record<string, string>;
  if (Object.values(paths).every((p) => existsSync(p))) return paths as never;

  // Test processes run in parallel and may all want the same peer at once:
  // every step works in a private temporary place and publishes with rename(2).
  const debDir = path.join(PEERS_DIR, 'debs');
  mkdirSync(debDir, { recursive: true });
  const findDeb = (): string | undefined =>
    readdirSync(debDir)
      .filter((f) => f.startsWith(spec.pkg + '_') && f.endsWith('.deb'))
      .sort()
      .at(-1);
  if (!findDeb()) {
    const scratch = mkdtempSync(path.join(debDir, `.download-${spec.pkg}-`));
    const download = (): void => {
      execFileSync('apt-get', ['download', '-q', spec.pkg], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
    };
    try {
      try {
        download();
      } catch (err) {
        if (!isRoot() && !hasAptLists())
          throw new Error(`cannot fetch Debian package ${spec.pkg}: apt has no package lists and we are not root to run apt-get update`);
        if (!isRoot()) throw new Error(`apt-get download ${spec.pkg} failed: ${(err as { stderr?: Buffer }).stderr?.toString() ?? String(err)}`);
        execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'pipe', 'pipe'] });
        download();
      }
      for (const f of readdirSync(scratch)) if (f.endsWith('.deb')) renameSync(path.join(scratch, f), path.join(debDir, f));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const deb = findDeb();
  if (!deb) throw new Error(`apt-get download ${spec.pkg} produced no .deb in ${debDir}`);
  mkdirSync(path.dirname(root), { recursive: true });
  const staging = mkdtempSync(`${root}.tmp-`);
  try {
    execFileSync('dpkg-deb', ['-x', path.join(debDir, deb), staging]);
    for (const rel of Object.values(spec.binaries)) if (!existsSync(path.join(staging, rel))) throw new Error(`package ${spec.pkg} has no ${rel}`);
    try {
      renameSync(staging, root);
    } catch (err) {
      // Another process published the same package first; its tree is identical.
      if (!Object.values(paths).every((p) => existsSync(p))) throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return paths as never;
}

/** Fetches every peer once, one after the other (the test runner does this before tests start in parallel). */
export function ensureAllPeers(): Array<{ name: PeerName; error?: string }> {
  return (Object.keys(PEERS) as PeerName[]).map((name) => {
    try {
      ensurePeer(name);
      return { name };
    } catch (err) {
      return { name, error: (err as Error).message };
    }
  });
}

/** Whether the peer can be had here (for tests that must say skipped and why). */
export function peerAvailable(name: PeerName): { ok: true; paths: Record<string, string> } | { ok: false; reason: string } {
  try {
    return { ok: true, paths: ensurePeer(name) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

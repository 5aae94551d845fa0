/**
 * Build identity. The build script replaces these through esbuild's `define`;
 * from source they are read from package.json and git at start.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

declare const __EDGEPUSH_VERSION__: string | undefined;
declare const __EDGEPUSH_COMMIT__: string | undefined;

function fromSource(): { version: string; commit: string } {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: new URL('..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      // not a git checkout
    }
    return { version: pkg.version, commit };
  } catch {
    return { version: '0.0.0-dev', commit: 'unknown' };
  }
}

const built = typeof __EDGEPUSH_VERSION__ === 'string' ? { version: __EDGEPUSH_VERSION__, commit: __EDGEPUSH_COMMIT__ ?? 'unknown' } : fromSource();

export const VERSION: string = built.version;
export const COMMIT: string = built.commit;

/**
 * `npm run package`: edgepush_<version>_amd64.deb / _arm64.deb and
 * edgepush-<version>.x86_64.rpm / .aarch64.rpm in dist/, from the executables
 * `npm run build` makes (built first if dist/ does not match the tree).
 *   npm run package -- --arch x64 --format deb
 */
import { parseArgs } from 'node:util';
import { ARCHES, build, upToDate, type Arch } from './lib/build.ts';
import { FORMATS, buildPackages, type Format } from './lib/package.ts';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', multiple: true },
    format: { type: 'string', multiple: true },
  },
});
function pick<T extends string>(given: string[] | undefined, all: readonly T[], flag: string): T[] {
  return (given ?? [...all]).map((v) => {
    if (!(all as readonly string[]).includes(v)) throw new Error(`--${flag} must be one of ${all.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  });
}
const arches = pick<Arch>(values.arch, ARCHES, 'arch');
const formats = pick<Format>(values.format, FORMATS, 'format');
if (!upToDate(arches)) await build({ arches });
buildPackages({ arches, formats });

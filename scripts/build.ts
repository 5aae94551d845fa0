/**
 * `npm run build`: dist/edgepush-linux-x64 and dist/edgepush-linux-arm64,
 * self-contained executables (no Node.js needed on the box).
 *   npm run build -- --arch x64          only one architecture
 *   npm run build -- --version 0.1.1     override package.json's version
 *   npm run build -- --out /tmp/out      another output directory
 */
import { parseArgs } from 'node:util';
import { ARCHES, build, type Arch } from './lib/build.ts';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', multiple: true },
    version: { type: 'string' },
    out: { type: 'string' },
  },
});
const arches = (values.arch ?? [...ARCHES]).map((a) => {
  if (!(ARCHES as readonly string[]).includes(a)) throw new Error(`--arch must be one of ${ARCHES.join(', ')}, got ${JSON.stringify(a)}`);
  return a as Arch;
});
await build({ arches, ...(values.version ? { version: values.version } : {}), ...(values.out ? { outDir: values.out } : {}) });

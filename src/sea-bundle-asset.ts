/**
 * The name of the SEA asset that holds the agent's bundle: the build stores it
 * (scripts/lib/build.ts) and the executable's main script reads it
 * (src/sea-main.ts).
 */
export const BUNDLE_ASSET = 'edgepush.cjs';

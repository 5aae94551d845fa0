/** Why a test of the native addon cannot run here (no gcc built it: scripts/run-tests.ts compiles it), or undefined. */
import { nativeAddon } from '../../../src/sources/host/machinery/native.ts';

export function nativeAddonSkip(): string | undefined {
  try {
    nativeAddon();
    return undefined;
  } catch (err) {
    return `native addon unavailable: ${(err as Error).message}`;
  }
}

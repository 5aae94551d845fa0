/**
 * When to try again after a failure (an HTTP request, see http/retry.ts; a
 * start that crashed): exponential backoff with jitter.
 */

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 0): min·2^attempt
 * capped at max, then "equal jitter" (half fixed, half random) so a fleet that
 * lost its receiver at the same moment does not come back in lockstep.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.minMs * 2 ** Math.min(attempt, 40));
  return Math.round(base / 2 + random() * (base / 2));
}

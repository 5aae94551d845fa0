/**
 * When to try again after a failure (a remote-write send, a start that
 * crashed): exponential backoff with jitter, or the receiver's Retry-After
 * when it asks for longer.
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

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const t = value.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const date = Date.parse(t);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

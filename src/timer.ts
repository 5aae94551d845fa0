/**
 * setTimeout for delays that come from configuration or arithmetic on it.
 * Node's setTimeout fires after 1 ms when given more than 2^31-1 ms (about
 * 24.8 days), a NaN or a negative delay: a 30-day interval became a busy
 * loop. This timer chains shorter timeouts instead, so it never fires early.
 */

/** The longest delay setTimeout honours. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface Timer {
  /** Cancels the timer; harmless after it fired. */
  clear(): void;
}

export interface TimerOptions {
  /** Does not keep the process alive (setTimeout's unref). */
  unref?: boolean;
}

/** Calls `fn` once after `delayMs` (negative: at once; NaN or Infinity: never). */
export function startTimer(fn: () => void, delayMs: number, options: TimerOptions = {}): Timer {
  let handle: NodeJS.Timeout | undefined;
  // Counted down by the chunks that elapsed rather than read off a clock: each
  // chunk is a monotonic wait, and a wall-clock jump must not move a tick.
  const arm = (remainingMs: number): void => {
    const chunkMs = Math.min(remainingMs, MAX_TIMEOUT_MS);
    handle = setTimeout(() => (remainingMs > chunkMs ? arm(remainingMs - chunkMs) : fn()), chunkMs);
    if (options.unref) handle.unref();
  };
  arm(Number.isNaN(delayMs) ? Infinity : Math.max(0, delayMs));
  return { clear: () => clearTimeout(handle) };
}

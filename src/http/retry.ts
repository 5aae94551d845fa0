/**
 * The one retry policy of every outgoing request (exporter scrapes, both
 * sinks, the remote configuration fetch): which failures are worth another
 * try (network errors, timeouts, 5xx, 429) and which will fail the same way
 * again (other 4xx, our own shutdown), and how long to wait: backoff with
 * jitter, or the server's Retry-After when it asks for longer.
 */
import { backoffDelayMs, type BackoffOptions } from '../backoff.ts';

/** What an HTTP status means for the request: done, worth retrying, or refused for good. */
export type StatusVerdict = 'ok' | 'retry' | 'reject';

export function statusVerdict(status: number): StatusVerdict {
  if (status >= 200 && status < 300) return 'ok';
  return status >= 500 || status === 429 ? 'retry' : 'reject';
}

/**
 * Whether a request that threw (no HTTP answer) is worth retrying: network
 * errors and timeouts are; an abort by the caller (shutdown) is not.
 */
export function isRetryableError(err: unknown): boolean {
  return !(err instanceof Error && err.name === 'AbortError' && !isRequestTimeout(err));
}

export interface RetryPolicy extends BackoffOptions {
  /** Longest Retry-After honoured; a server asking for more is retried after this. Default: no cap. */
  maxRetryAfterMs?: number;
}

/** Delay before retry `attempt + 1` (attempt counts from 0): the backoff, or the server's Retry-After when longer. */
export function retryDelayMs(attempt: number, policy: RetryPolicy, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const backoff = backoffDelayMs(attempt, policy, random);
  const asked = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, policy.maxRetryAfterMs ?? Infinity);
  return Math.max(backoff, asked);
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

/** A failed request in a few words for logs: timeouts as one text whichever timer fired, else the error code. */
export function describeRequestError(err: unknown): string {
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string } };
  if (e.name === 'AbortError' || isRequestTimeout(err)) return 'request timed out';
  return e.code ?? e.cause?.code ?? e.message ?? String(err);
}

/** undici's own timers, set by createDispatcher to the same timeout as the request's AbortSignal. */
const DISPATCHER_TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Whether a request ended on its time limit. The dispatcher's timers and the
 * request's AbortSignal.timeout are armed with the same value and race, so
 * either may fire first; a sink that names them differently logs a black-hole
 * gateway as a new failure every other cycle.
 */
export function isRequestTimeout(err: unknown): boolean {
  const e = err as { code?: string; name?: string; cause?: { code?: string; name?: string } } | undefined;
  if (!e) return false;
  return (
    e.name === 'TimeoutError' ||
    e.cause?.name === 'TimeoutError' ||
    DISPATCHER_TIMEOUT_CODES.has(e.code ?? '') ||
    DISPATCHER_TIMEOUT_CODES.has(e.cause?.code ?? '')
  );
}

/** Durations as Go and Prometheus write them, for config keys, flags and collector options alike. */
import { quoteInput } from '../quote.ts';

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Parses Go/Prometheus durations such as "1m30s", "500ms", "15s", "2h". */
export function parseGoDuration(text: string): number {
  const t = text.trim();
  let total = 0;
  if (/^\d+(\.\d+)?$/.test(t)) total = Number(t);
  else {
    const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/gy;
    let consumed = 0;
    for (let m = re.exec(t); m; m = re.exec(t)) {
      total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
      consumed = re.lastIndex;
    }
    if (consumed === 0 || consumed !== t.length) throw new Error(`invalid duration ${quoteInput(text)} (use e.g. 500ms, 15s, 1m30s)`);
  }
  // A long enough digit string is Infinity, which printed as "Infinitys" and made timers fire at once.
  if (!Number.isFinite(total)) throw new Error(`duration ${quoteInput(text)} is too large`);
  return total;
}

/**
 * The strings an exporter sends again every scrape (family names, HELP texts,
 * `_bucket`/`_sum`/`_count` names, long label values), kept once per source
 * as copies of their own. Parsed, they would be slices of the body's decoded
 * window (model/exposition-reader.ts), and a batch holding a slice keeps the
 * whole window alive until every sink has pushed it: each scrape's windows
 * and slices were promoted to the old generation with the batch, the largest
 * part of what drives the cycle's mark-compacts (issue 13). From the table
 * the batch shares strings that are already old, and the window dies young.
 *
 * Bounded: when full it starts again empty, so an exporter whose values
 * change every scrape (ids, timestamps as labels) costs a copy per new string
 * and at most `capacity` strings, never a table that grows.
 */
import { ownCopy } from './own-copy.ts';

export class StringTable {
  private readonly strings = new Map<string, string>();
  private readonly capacity: number;

  constructor(capacity = 4096) {
    this.capacity = capacity;
  }

  /** The table's copy of `text`, which it keeps from now on. */
  intern(text: string): string {
    const kept = this.strings.get(text);
    if (kept !== undefined) return kept;
    if (this.strings.size >= this.capacity) this.strings.clear();
    const own = ownCopy(text);
    this.strings.set(own, own);
    return own;
  }

  get size(): number {
    return this.strings.size;
  }
}

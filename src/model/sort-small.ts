/**
 * Sorts in place. Label sets are sorted for every sample of every cycle, and
 * V8's Array.prototype.sort allocates a work array per call; an insertion sort
 * allocates nothing and is faster for the handful of labels a series has
 * (issue 13: garbage collection was about a third of a cycle's CPU). Longer
 * arrays go to the built-in sort, unless they are in order already, as
 * families and series usually come from an exporter.
 */
export function sortSmall<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  if (items.length > 32) return inOrder(items, compare) ? items : items.sort(compare);
  for (let i = 1; i < items.length; i++) {
    const item = items[i]!;
    let j = i - 1;
    while (j >= 0 && compare(items[j]!, item) > 0) {
      items[j + 1] = items[j]!;
      j--;
    }
    items[j + 1] = item;
  }
  return items;
}

function inOrder<T>(items: T[], compare: (a: T, b: T) => number): boolean {
  for (let i = 1; i < items.length; i++) if (compare(items[i - 1]!, items[i]!) > 0) return false;
  return true;
}

/** Code-unit order, the order the built-in sort gives strings (and byte order for ASCII label names, which Prometheus sorts by). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A string of its own. Parsed text is made of slices of the window of the
 * body it was read from (model/exposition-reader.ts), and a slice keeps its
 * whole window alive: what is kept across cycles is copied, so it keeps only
 * itself.
 */
export function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

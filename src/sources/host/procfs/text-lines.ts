/**
 * Line splitting as Go's bufio.Scanner does it (the reference parsers scan
 * line by line): a final newline does not make an extra empty line, and a
 * carriage return before a newline is dropped.
 */
export function scanLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Parses an unsigned decimal integer as Go's strconv.ParseUint(s, 10, 64) accepts it; throws with context otherwise. */
export function parseUint(text: string, where: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${where}: expected an unsigned integer, got ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/** Parses a signed decimal integer as strconv.ParseInt(s, 10, 64) accepts it. */
export function parseSignedInt(text: string, where: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`${where}: expected an integer, got ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

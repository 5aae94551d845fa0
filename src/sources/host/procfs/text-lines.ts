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

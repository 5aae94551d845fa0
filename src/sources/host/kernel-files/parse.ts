/**
 * Parsing the text of kernel files with the acceptance rules of Go's strconv
 * and strings, which node_exporter and prometheus/procfs use: what they
 * reject (and so skip or fail on) we reject too. Where callers differ, two
 * forms: `parseX(text, where)` throws naming the place (a garbled file fails
 * its collector), `tryParseX(text)` gives undefined (the caller skips that
 * value, as procfs does).
 */

const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0';
const GO_TRIM_RE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

/** Go's strings.TrimSpace: JS trim() also strips U+FEFF and other spaces that Go keeps. */
export function goTrimSpace(text: string): string {
  return text.replace(GO_TRIM_RE, '');
}

/** Splits on runs of whitespace, dropping empty fields. */
export function fields(line: string): string[] {
  // Trimmed, a line splits into no empty field; only the empty line would give one.
  const trimmed = line.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

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

/** A file's lines without the empty and blank ones. */
export function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

const excerpt = (text: string): string => JSON.stringify(text.slice(0, 40));

/** An unsigned decimal integer, as Go's strconv.ParseUint(s, 10, 64). */
export function parseUint(text: string, where: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${where}: expected an unsigned integer, got ${excerpt(text)}`);
  return Number(text);
}

/** A signed decimal integer, as Go's strconv.ParseInt(s, 10, 64). */
export function parseInt64(text: string, where: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`${where}: expected an integer, got ${excerpt(text)}`);
  return Number(text);
}

/** An unsigned hexadecimal integer without prefix (/proc/net/softnet_stat, nf_conntrack stats). */
export function parseHex(text: string, where: string): number {
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new Error(`${where}: expected a hexadecimal number, got ${excerpt(text)}`);
  return Number.parseInt(text, 16);
}

export const MAX_UINT64 = 2n ** 64n - 1n;

const GO_INT_RE = /^(0[xX]_?[0-9a-fA-F_]+|0[bB]_?[01_]+|0[oO]_?[0-7_]+|0[0-7_]*|[1-9][0-9_]*)$/;

/**
 * An integer as Go's strconv.ParseInt/ParseUint with base 0 (what procfs'
 * ValueParser uses): 0x/0b/0o prefixes, a leading 0 for octal, underscores
 * between digits, 64-bit range; exact. Unsigned refuses any sign, as
 * ParseUint does. Undefined where Go returns an error.
 */
function tryParseGoBigInt(text: string, unsigned = false): bigint | undefined {
  const sign = unsigned ? '' : (/^[+-]/.exec(text)?.[0] ?? '');
  const body = text.slice(sign.length);
  if (!GO_INT_RE.test(body) || body.endsWith('_') || body.includes('__')) return undefined;
  const digits = body.replaceAll('_', '');
  let value: bigint;
  if (/^0[xXbBoO]/.test(digits)) value = BigInt(digits.toLowerCase());
  else if (digits.length > 1 && digits.startsWith('0')) value = BigInt(`0o${digits.slice(1)}`);
  else value = BigInt(digits);
  if (sign === '-') value = -value;
  const [min, max] = unsigned ? [0n, MAX_UINT64] : [-(2n ** 63n), 2n ** 63n - 1n];
  return value < min || value > max ? undefined : value;
}

/** tryParseGoBigInt that throws naming the place, for callers that must see exact 64-bit values (e.g. the all-ones "unsupported" marker). */
export function parseGoBigInt(text: string, where: string, unsigned = false): bigint {
  const value = tryParseGoBigInt(text, unsigned);
  if (value === undefined) throw new Error(`${where}: expected an integer${unsigned ? ' (unsigned, 64-bit)' : ' (64-bit)'}, got ${excerpt(text)}`);
  return value;
}

/** tryParseGoBigInt as a number (exact up to 2^53), for the common plain decimal without BigInt. */
export function tryParseGoInt(text: string, unsigned = false): number | undefined {
  if (/^[1-9]\d{0,14}$/.test(text) || text === '0') return Number(text);
  const value = tryParseGoBigInt(text, unsigned);
  return value === undefined ? undefined : Number(value);
}

/** tryParseGoInt that throws naming the place. */
export function parseGoInt(text: string, where: string, unsigned = false): number {
  return Number(parseGoBigInt(text, where, unsigned));
}

const DECIMAL_FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const GO_SPECIAL_FLOAT_RE = /^([+-]?)(inf|infinity|nan)$/i;

/** A float as Go's strconv.ParseFloat(s, 64): decimal or exponent form, plus inf/infinity/nan in any case (hex floats are not needed here). */
export function tryParseGoFloat(text: string): number | undefined {
  if (DECIMAL_FLOAT_RE.test(text)) return Number(text);
  const special = GO_SPECIAL_FLOAT_RE.exec(text);
  if (!special) return undefined;
  if (special[2]!.toLowerCase() === 'nan') return NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

/** tryParseGoFloat that throws naming the place. */
export function parseGoFloat(text: string, where: string): number {
  const value = tryParseGoFloat(text);
  if (value === undefined) throw new Error(`${where}: invalid number ${excerpt(text)}`);
  return value;
}

/** A decimal float only (no inf/nan), surrounding spaces allowed: kernel fields that are always plain numbers. */
export function parseDecimalFloat(text: string, where: string): number {
  const t = text.trim();
  if (!DECIMAL_FLOAT_RE.test(t)) throw new Error(`${where}: expected a number, got ${excerpt(t)}`);
  return Number(t);
}

/**
 * Readers for one-value sysfs/procfs attribute files with the semantics the
 * prometheus/procfs library gives them: whitespace trimmed as Go's
 * strings.TrimSpace does (JS trim() also strips U+FEFF and other spaces that
 * Go keeps), integers parsed strictly so a garbled file fails loudly.
 */
import { readFileSync } from 'node:fs';

const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0';
const GO_TRIM_RE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

export function goTrimSpace(text: string): string {
  return text.replace(GO_TRIM_RE, '');
}

/** A sysfs attribute, trimmed; throws (with the path in the error) when unreadable. */
export async function readSysAttr(file: string): Promise<string> {
  // Synchronous on purpose: see the note in procfs/read.ts.
  return goTrimSpace(readFileSync(file, 'utf8'));
}

/** Parses an unsigned decimal integer as Go's strconv.ParseUint(s, 10, 64) does. */
export function parseUint(text: string, where: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${where}: expected an unsigned integer, got ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/** Parses a signed decimal integer as Go's strconv.ParseInt(s, 10, 64) does. */
export function parseInt64(text: string, where: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`${where}: expected an integer, got ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/** An unsigned integer attribute file; throws naming the file when absent or garbled. */
export async function readUintAttr(file: string): Promise<number> {
  return parseUint(await readSysAttr(file), file);
}

export function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}

/**
 * Whether the error means the data source is absent, as Go's
 * errors.Is(err, os.ErrNotExist) decides: ENOENT only (ENOTDIR, a file where
 * a directory should be, is a real failure there).
 */
export function isNotExist(err: unknown): boolean {
  return isErrno(err, 'ENOENT');
}

/** Whether the error is a permission error (os.ErrPermission). */
export function isPermission(err: unknown): boolean {
  return isErrno(err, 'EACCES', 'EPERM');
}

const GO_INT_RE = /^(0[xX]_?[0-9a-fA-F_]+|0[bB]_?[01_]+|0[oO]_?[0-7_]+|0[0-7_]*|[1-9][0-9_]*)$/;

/**
 * Parses an integer as Go's strconv.ParseInt/ParseUint with base 0 (what
 * procfs' ValueParser uses): 0x/0b/0o prefixes, a leading 0 for octal,
 * underscores between digits. Unsigned refuses any sign, as ParseUint does.
 */
export function parseGoInt(text: string, where: string, unsigned = false): number {
  return Number(parseGoBigInt(text, where, unsigned));
}

/** parseGoInt without the float conversion, for callers that must see exact 64-bit values (e.g. the all-ones "unsupported" marker). */
export function parseGoBigInt(text: string, where: string, unsigned = false): bigint {
  const sign = unsigned ? '' : /^[+-]/.exec(text)?.[0] ?? '';
  const body = text.slice(sign.length);
  if (!GO_INT_RE.test(body) || body.endsWith('_') || body.includes('__')) {
    throw new Error(`${where}: expected an integer, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  const digits = body.replaceAll('_', '');
  let value: bigint;
  if (/^0[xXbBoO]/.test(digits)) value = BigInt(digits.toLowerCase());
  else if (digits.length > 1 && digits.startsWith('0')) value = BigInt(`0o${digits.slice(1)}`);
  else value = BigInt(digits);
  if (sign === '-') value = -value;
  const [min, max] = unsigned ? [0n, MAX_UINT64] : [-(2n ** 63n), 2n ** 63n - 1n];
  if (value < min || value > max) throw new Error(`${where}: value out of range: ${text}`);
  return value;
}

export const MAX_UINT64 = 2n ** 64n - 1n;

const GO_FLOAT_RE = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity|nan)$/i;

/** Parses a decimal float as Go's strconv.ParseFloat does (including "inf" and "nan"; hex floats are not needed here). */
export function parseGoFloat(text: string, where: string): number {
  if (!GO_FLOAT_RE.test(text)) throw new Error(`${where}: invalid number ${JSON.stringify(text.slice(0, 40))}`);
  const t = text.toLowerCase();
  if (t.endsWith('nan')) return NaN;
  if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

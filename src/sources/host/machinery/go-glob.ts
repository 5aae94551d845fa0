/**
 * Go's filepath.Glob, so that a --collector.textfile.directory pattern
 * matches exactly what node_exporter matches: `*`, `?`, `[...]` (negated
 * with `^`) and `\` escapes within one path component, no `**`, no braces,
 * dot files not special, results sorted per directory level.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { compareBytes } from '../kernel-files/dir.ts';

export class BadPatternError extends Error {
  constructor(pattern: string, why: string) {
    super(`syntax error in pattern ${JSON.stringify(pattern)}: ${why}`);
    this.name = 'BadPatternError';
  }
}

function hasGlobMeta(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

const codePoint = (c: string): string => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** Compiles one path component of a Go pattern (filepath.Match syntax) into an anchored RegExp. */
export function compileGoPattern(pattern: string): RegExp {
  const chars = [...pattern];
  let re = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= chars.length) throw new BadPatternError(pattern, 'trailing backslash');
      re += codePoint(chars[++i]!);
    } else if (c === '[') {
      const parsed = compileClass(chars, i + 1, pattern);
      re += parsed.re;
      i = parsed.end;
    } else re += codePoint(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

/** A `[...]` class starting after its `[`; returns its RegExp source and the index of its `]`. */
function compileClass(chars: string[], start: number, pattern: string): { re: string; end: number } {
  let i = start;
  let negated = false;
  if (chars[i] === '^') {
    negated = true;
    i++;
  }
  const readChar = (): string => {
    const c = chars[i];
    if (c === undefined) throw new BadPatternError(pattern, 'unterminated character class');
    if (c === '-' || c === ']') throw new BadPatternError(pattern, `unexpected ${JSON.stringify(c)} in character class`);
    if (c === '\\') {
      i++;
      if (chars[i] === undefined) throw new BadPatternError(pattern, 'trailing backslash in character class');
    }
    return chars[i++]!;
  };
  const ranges: string[] = [];
  let count = 0;
  for (;;) {
    if (chars[i] === ']' && count > 0) break;
    const lo = readChar();
    let hi = lo;
    if (chars[i] === '-') {
      i++;
      hi = readChar();
    }
    count++;
    // Go accepts a reversed range and simply never matches it; a RegExp would throw.
    if (lo.codePointAt(0)! <= hi.codePointAt(0)!) ranges.push(lo === hi ? codePoint(lo) : `${codePoint(lo)}-${codePoint(hi)}`);
  }
  const body = ranges.join('');
  const re = body === '' ? (negated ? '[^]' : '(?!)') : `[${negated ? '^' : ''}${body}]`;
  return { re, end: i };
}

/** Go's filepath.Glob: the matching paths, sorted; [] when nothing matches; throws BadPatternError. */
export async function goGlob(pattern: string): Promise<string[]> {
  for (const part of pattern.split('/')) compileGoPattern(part); // Go validates the whole pattern first
  return globPattern(pattern, 0);
}

async function globPattern(pattern: string, depth: number): Promise<string[]> {
  if (depth > 10_000) throw new BadPatternError(pattern, 'too deep');
  if (!hasGlobMeta(pattern)) {
    try {
      await lstat(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const slash = pattern.lastIndexOf('/');
  const file = pattern.slice(slash + 1);
  const dir = cleanGlobDir(pattern.slice(0, slash + 1));
  if (!hasGlobMeta(dir)) return globDir(dir, file);
  if (dir === pattern) throw new BadPatternError(pattern, 'recursion');
  const out: string[] = [];
  for (const d of await globPattern(dir, depth + 1)) out.push(...(await globDir(d, file)));
  return out;
}

function cleanGlobDir(dir: string): string {
  if (dir === '') return '.';
  if (dir === '/') return dir;
  return dir.slice(0, -1);
}

/** The entries of `dir` matching one component pattern; I/O errors mean no match, as in Go. */
async function globDir(dir: string, file: string): Promise<string[]> {
  try {
    if (!(await stat(dir)).isDirectory()) return [];
    const names = (await readdir(dir)).sort(compareBytes);
    const re = compileGoPattern(file);
    return names.filter((n) => re.test(n)).map((n) => path.join(dir, n));
  } catch (err) {
    if (err instanceof BadPatternError) throw err;
    return [];
  }
}

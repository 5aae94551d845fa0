import path from 'node:path';
import { readTextIfExists } from '../kernel-files/read.ts';
import { goTrimSpace } from '../kernel-files/parse.ts';

/**
 * Parses an os-release file the way node_exporter's env parser
 * (hashicorp/go-envparse) does: `KEY=VALUE` lines, `export ` prefix
 * allowed, `#` comment lines; values may mix unquoted, "double-quoted"
 * (with \\ \" \/ \b \f \r \n \t \uXXXX escapes) and 'single-quoted'
 * runs; an unquoted `#` starts a comment. Anything else (no `=`, a bad key,
 * an unterminated quote, a control character) is an error naming the line.
 */
export function parseOsRelease(text: string, file = 'os-release'): Map<string, string> {
  const vars = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const line = goTrimSpace(raw);
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq === -1) throw new Error(`${where}: missing = separator`);
    let key = goTrimSpace(line.slice(0, eq));
    if (key.length > EXPORT.length && key.startsWith(EXPORT)) key = key.slice(EXPORT.length);
    if (!/^[A-Za-z_][A-Za-z0-9/_.]*$/.test(key)) throw new Error(`${where}: invalid key ${JSON.stringify(key)}`);
    vars.set(key, parseValue(goTrimSpace(line.slice(eq + 1)), where));
  });
  return vars;
}

const EXPORT = 'export ';
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', r: '\r', n: '\n', t: '\t' };

function parseValue(value: string, where: string): string {
  let out = '';
  // Length of `out` up to its last significant (non-blank or quoted) character: an unquoted # cuts there.
  let significant = 0;
  let mode: 'normal' | 'double' | 'single' = 'normal';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const code = c.charCodeAt(0);
    if (code < 32) throw new Error(`${where}: 0x${code.toString(16).padStart(2, '0')} is an invalid value character`);
    if (code > 127) {
      out += c;
      significant = out.length;
      continue;
    }
    if (mode === 'normal') {
      if (c === '"') mode = 'double';
      else if (c === "'") mode = 'single';
      else if (c === '#') return out.slice(0, significant);
      else {
        out += c;
        if (c !== ' ') significant = out.length;
      }
    } else if (mode === 'single') {
      if (c === "'") {
        mode = 'normal';
      } else {
        out += c;
        significant = out.length;
      }
    } else if (c === '"') {
      mode = 'normal';
    } else if (c !== '\\') {
      out += c;
      significant = out.length;
    } else {
      const e = value[++i];
      if (e === undefined) throw new Error(`${where}: incomplete escape sequence`);
      if (e === 'u') {
        const unit = (at: number): number => {
          const hex = value.slice(at, at + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Error(`${where}: invalid \\u escape ${JSON.stringify(hex)}`);
          return Number.parseInt(hex, 16);
        };
        const first = unit(i + 1);
        i += 4;
        if (first >= 0xd800 && first <= 0xdfff) {
          if (value[i + 1] !== '\\' || value[i + 2] !== 'u') throw new Error(`${where}: incomplete surrogate pair`);
          const second = unit(i + 3);
          i += 6;
          out += first <= 0xdbff && second >= 0xdc00 && second <= 0xdfff ? String.fromCharCode(first, second) : '\ufffd';
        } else {
          out += String.fromCharCode(first);
        }
      } else if (e in ESCAPES) {
        out += ESCAPES[e];
      } else {
        throw new Error(`${where}: invalid escape sequence ${JSON.stringify('\\' + e)}`);
      }
      significant = out.length;
    }
  }
  if (mode === 'double') throw new Error(`${where}: unterminated double quote`);
  if (mode === 'single') throw new Error(`${where}: unterminated single quote`);
  return out;
}

/** Candidate files, in node_exporter's order, relative to the root filesystem. */
export const OS_RELEASE_FILES = ['etc/os-release', 'usr/lib/os-release'];

/** Reads the first os-release file present under `rootfs`; undefined when there is none. */
export async function readOsRelease(rootfs: string): Promise<{ file: string; vars: Map<string, string> } | undefined> {
  for (const rel of OS_RELEASE_FILES) {
    const file = path.join(rootfs, rel);
    const text = await readTextIfExists(file);
    if (text === undefined) continue;
    return { file, vars: parseOsRelease(text, file) };
  }
  return undefined;
}

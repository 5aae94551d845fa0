import path from 'node:path';
import { readTextIfExists } from './read.ts';

/**
 * Parses an os-release file (shell-like KEY=VALUE assignments, see
 * os-release(5)): double-quoted values honour backslash escapes of
 * \ " $ `, single-quoted values are literal, comments and blank lines are
 * skipped. A line that is not an assignment is an error, as it is for the
 * env parser node_exporter uses.
 */
export function parseOsRelease(text: string, file = 'os-release'): Map<string, string> {
  const vars = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: not a KEY=VALUE assignment: ${JSON.stringify(line.slice(0, 60))}`);
    vars.set(m[1]!, unquote(m[2]!, `${file}:${i + 1}`));
  });
  return vars;
}

function unquote(value: string, where: string): string {
  if (value.startsWith("'")) {
    const end = value.indexOf("'", 1);
    if (end === -1) throw new Error(`${where}: unterminated single quote`);
    return value.slice(1, end);
  }
  if (value.startsWith('"')) {
    let out = '';
    for (let i = 1; i < value.length; i++) {
      const c = value[i]!;
      if (c === '"') return out;
      if (c === '\\' && i + 1 < value.length && '\\"$`'.includes(value[i + 1]!)) out += value[++i];
      else out += c;
    }
    throw new Error(`${where}: unterminated double quote`);
  }
  // Unquoted: up to an unescaped space or comment.
  return value.replace(/\s+#.*$/, '').trim().replace(/\\(.)/g, '$1');
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

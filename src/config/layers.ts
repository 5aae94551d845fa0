/**
 * The configuration layers, later wins key by key:
 *   built-in defaults < defaults.ini (vendor, /usr/lib/edgepush) <
 *   the remote layer ([remote_config], cached in the state directory) <
 *   edgepush.ini (/etc/edgepush, the admin's) < conf.d/*.ini (sorted) < flags.
 * This module only reads and merges INI text (the `ini` package); typing and
 * validation happen in config.ts, with the origin of every value kept for errors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ini from 'ini';
import { quoteInput } from '../quote.ts';
import { ConfigError, type SectionValues } from './schema.ts';

export const DEFAULT_DEFAULTS_FILE = '/usr/lib/edgepush/defaults.ini';
export const DEFAULT_CONFIG_FILE = '/etc/edgepush/edgepush.ini';

/** Section name → its merged keys. Named sections keep their dotted name, e.g. `exporter.nginx`. */
export type RawConfig = Map<string, SectionValues>;

export interface ConfigLocations {
  /** Vendor defaults; a missing file is skipped. */
  defaultsFile: string;
  /** The admin's file; a missing file is skipped unless `configFileRequired`. */
  configFile: string;
  configFileRequired: boolean;
  /** Drop-in directory; default `conf.d` beside configFile. */
  confDir?: string;
}

const SECTION_NAME_RE = /^[A-Za-z0-9_-]+$/;

/**
 * Names a plain object cannot hold as data: the `ini` package silently drops
 * `__proto__` sections and keys, so they are refused (the rest alike, so no
 * later lookup on a plain object can be fooled by them).
 */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype', 'hasOwnProperty']);
// The `ini` package's own line grammar, so the names checked are the names it parses.
const INI_LINE_RE = /^\[([^\]]*)\]\s*$|^([^=]+)(=(.*))?$/;

/** Refuses a reserved name as a section name, a part of one, or a key (`key[]` included). */
function refuseReservedNames(text: string, origin: string): void {
  if (![...RESERVED_NAMES].some((name) => text.includes(name))) return;
  let section = '';
  for (const line of text.split(/[\r\n]+/)) {
    if (/^\s*([;#]|$)/.test(line)) continue;
    const m = INI_LINE_RE.exec(line);
    if (!m) continue;
    if (m[1] !== undefined) {
      section = ini.unsafe(m[1]);
      const reserved = section.split('.').find((part) => RESERVED_NAMES.has(part));
      if (reserved !== undefined) throw new ConfigError(origin, section, undefined, `${quoteInput(reserved)} is a reserved name and cannot name a section`);
      continue;
    }
    const key = ini.unsafe(m[2]!).replace(/\[\]$/, '');
    if (RESERVED_NAMES.has(key)) throw new ConfigError(origin, section, key, 'is a reserved name and cannot be a key');
  }
}

/** Parses one INI text into sections; `origin` names the file in errors. */
export function parseIniLayer(text: string, origin: string, namedKinds: ReadonlySet<string>, fixedSections: ReadonlySet<string>): RawConfig {
  refuseReservedNames(text, origin);
  let parsed: Record<string, unknown>;
  try {
    parsed = ini.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(origin, '', undefined, `not valid INI: ${(err as Error).message}`);
  }
  const out: RawConfig = new Map();
  for (const [top, value] of Object.entries(parsed)) {
    if (!isObject(value)) throw new ConfigError(origin, '', top, 'key outside of any section: put it under a [section]');
    if (namedKinds.has(top)) {
      for (const [name, section] of Object.entries(value)) {
        if (!isObject(section)) throw new ConfigError(origin, top, name, `[${top}] needs a name: write [${top}.<name>]`);
        const full = `${top}.${name}`;
        if (!SECTION_NAME_RE.test(name))
          throw new ConfigError(origin, full, undefined, `section name ${quoteInput(name)} may only contain letters, digits, "_" and "-"`);
        out.set(full, toValues(section, origin, full));
      }
    } else if (fixedSections.has(top)) {
      out.set(top, toValues(value, origin, top));
    } else {
      const known = [...fixedSections, ...[...namedKinds].map((k) => `${k}.<name>`)].join(', ');
      throw new ConfigError(origin, top, undefined, `unknown section (known: ${known})`);
    }
  }
  return out;
}

function toValues(section: Record<string, unknown>, origin: string, name: string): SectionValues {
  const values: SectionValues = new Map();
  for (const [key, v] of Object.entries(section)) {
    if (isObject(v)) throw new ConfigError(origin, `${name}.${key}`, undefined, 'unknown section (section names have at most one dot)');
    const value = Array.isArray(v) ? v.map(stringify) : stringify(v);
    values.set(key, { value, origin });
  }
  return values;
}

function stringify(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges `layer` into `into`, key by key (a later layer wins). */
function mergeLayer(into: RawConfig, layer: RawConfig): void {
  for (const [section, values] of layer) {
    let target = into.get(section);
    if (!target) into.set(section, (target = new Map()));
    for (const [k, v] of values) target.set(k, v);
  }
}

export interface LoadedLayers {
  raw: RawConfig;
  /** Files actually read, in order. */
  files: string[];
}

/** Reads every file layer that exists, in order, and merges them; `remote` (a fetched layer) goes between the defaults and the admin's file. */
export function readLayers(
  loc: ConfigLocations,
  namedKinds: ReadonlySet<string>,
  fixedSections: ReadonlySet<string>,
  remote?: { raw: RawConfig; origin: string },
): LoadedLayers {
  const raw: RawConfig = new Map();
  const files: string[] = [];
  const readLayer = (file: string, required: boolean): void => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!required && code === 'ENOENT') return;
      throw new ConfigError(file, '', undefined, `cannot read: ${code ?? (err as Error).message}`);
    }
    mergeLayer(raw, parseIniLayer(text, file, namedKinds, fixedSections));
    files.push(file);
  };
  readLayer(loc.defaultsFile, false);
  if (remote) {
    mergeLayer(raw, remote.raw);
    files.push(remote.origin);
  }
  readLayer(loc.configFile, loc.configFileRequired);
  const confDir = loc.confDir ?? path.join(path.dirname(loc.configFile), 'conf.d');
  let dropIns: string[] = [];
  try {
    dropIns = readdirSync(confDir)
      .filter((f) => f.endsWith('.ini'))
      .sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      throw new ConfigError(confDir, '', undefined, `cannot list drop-in directory: ${code ?? (err as Error).message}`);
  }
  for (const f of dropIns) readLayer(path.join(confDir, f), true);
  return { raw, files };
}

/**
 * Typed reading of one INI section, with errors that name file, section and
 * key. Every section kind declares its keys (KeySpec); a key that is not
 * declared is an error, so typos never pass silently.
 */
import { readFileSync } from 'node:fs';
import { parseGoDuration } from './duration.ts';
import { LABEL_NAME_RE } from '../model/family.ts';
import { displayName, quoteInput } from '../quote.ts';

export type ValueKind = 'string' | 'url' | 'duration' | 'bool' | 'int' | 'bytes' | 'regex' | 'path' | 'label_value';

export interface KeySpec {
  /** The key, or for dynamic keys a prefix ending with '.' (e.g. `label.` for `label.site`, the rest being a label name). */
  key: string;
  kind: ValueKind;
  /** Built-in default (string form); absent means "not set". */
  default?: string;
  /**
   * Smallest and largest value of a duration, size or count, written in the
   * key's own unit ('1s', '1MiB', '10'): checked when the key is read, shown
   * by check-config --keys. Every key of those kinds declares both.
   */
  min?: string;
  max?: string;
  /** 0 is accepted besides min..max and switches the feature off (the help says how). */
  zeroDisables?: boolean;
  help: string;
  /** Secrets are never logged nor printed by check-config. */
  secret?: boolean;
  /**
   * The key says where, how or whether a section's requests go or are trusted
   * (URL, address, auth, TLS, proxy, headers, enabled). A remote configuration
   * layer may not change such a key in a section whose connection the local
   * files configure (config.ts); a key of kind `path` it may never set.
   */
  connection?: boolean;
}

/** Where a value came from: a file path, or "command line" / "built-in default". */
interface ConfigValue {
  value: string | string[];
  origin: string;
}

export type SectionValues = Map<string, ConfigValue>;

export class ConfigError extends Error {
  readonly origin: string;
  readonly section: string;
  readonly key: string | undefined;
  constructor(origin: string, section: string, key: string | undefined, message: string) {
    // Names come from the input too: escaped like any quoted value. A whole-file error has no section.
    const where = [section === '' ? '' : `[${displayName(section)}]`, key === undefined ? '' : displayName(key)].filter(Boolean).join(' ');
    super(`${displayName(origin)}: ${where === '' ? '' : `${where}: `}${message}`);
    this.name = 'ConfigError';
    this.origin = origin;
    this.section = section;
    this.key = key;
  }
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3 };

export function parseBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`invalid size ${quoteInput(text)} (use e.g. 1048576, 512KiB, 10MiB, 1GB)`);
  return checkSafe(Math.round(Number(m[1]) * unit), text);
}

export function parseInteger(text: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new Error(`expected an integer, got ${quoteInput(text)}`);
  return checkSafe(Number(text), text);
}

/** A digit string too long for a double would become Infinity (or lose its value): refused, whatever the range. */
function checkSafe(n: number, text: string): number {
  if (!Number.isSafeInteger(Math.round(n))) throw new Error(`${quoteInput(text)} is too large`);
  return n;
}

export type RangedKind = 'duration' | 'bytes' | 'int';

/** The allowed values of a duration, size or count, as KeySpec (and host options) declare them. */
export interface ValueRange {
  min?: string;
  max?: string;
  zeroDisables?: boolean;
}

const RANGED_PARSERS: Record<RangedKind, (text: string) => number> = { duration: parseGoDuration, bytes: parseBytes, int: parseInteger };

/**
 * Parses a duration (seconds), size (bytes) or count and checks it against
 * its range. A duration without a declared minimum must still be positive.
 */
export function parseInRange(kind: RangedKind, text: string, range: ValueRange): number {
  const parse = RANGED_PARSERS[kind];
  const value = parse(text);
  if (value === 0 && range.zeroDisables) return 0;
  const min = range.min === undefined ? undefined : parse(range.min);
  const max = range.max === undefined ? undefined : parse(range.max);
  if ((min !== undefined && value < min) || (max !== undefined && value > max) || (min === undefined && kind === 'duration' && !(value > 0))) {
    throw new Error(`must be ${describeRange(range) ?? 'a positive duration'}, got ${quoteInput(text)}`);
  }
  return value;
}

/** "between 1s and 1h", "0 or between 1m and 1y", "at least 1"; undefined for no range. */
export function describeRange(range: ValueRange): string | undefined {
  const { min, max } = range;
  const bounds =
    min !== undefined && max !== undefined
      ? `between ${min} and ${max}`
      : min !== undefined
        ? `at least ${min}`
        : max !== undefined
          ? `at most ${max}`
          : undefined;
  return bounds !== undefined && range.zeroDisables ? `0 or ${bounds}` : bounds;
}

export function parseBool(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(t)) return true;
  if (['false', 'no', 'off', '0'].includes(t)) return false;
  throw new Error(`expected true or false, got ${quoteInput(text)}`);
}

/** The spec of `key`: its own, or the dynamic one whose prefix it starts with. */
export function findKeySpec(specs: readonly KeySpec[], key: string): KeySpec | undefined {
  return specs.find((s) => s.key === key) ?? specs.find((s) => s.key.endsWith('.') && key.startsWith(s.key));
}

/**
 * A URL of one of `protocols`. Credentials in it (`user:password@`) are
 * refused: URLs are logged and printed, so no message here quotes them.
 */
export function parseUrl(text: string, protocols: readonly string[] = ['http:', 'https:']): URL {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw new Error(`invalid URL ${quoteInput(redactUrlCredentials(text))}`);
  }
  if (u.username || u.password)
    throw new Error(
      'a URL must not hold credentials (user:password@): URLs are logged and printed; credentials go in username and password_file, or bearer_token_file',
    );
  if (!protocols.includes(u.protocol)) throw new Error(`URL ${quoteInput(redactUrlCredentials(text))} must use ${protocols.join(' or ')}`);
  return u;
}

/**
 * `http://user:password@host/` → `http://***@host/`, for one URL's text
 * quoted in a message, valid or not (`http:user:pw@host` parses as the same).
 */
function redactUrlCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:[/\\]*)?[^/?#\\]*@/i, '$1***@');
}

/** Reads the keys of one section by kind, remembering which keys were read. */
export class SectionReader {
  readonly section: string;
  private readonly values: SectionValues;
  private readonly specs: readonly KeySpec[];

  constructor(section: string, values: SectionValues, specs: readonly KeySpec[]) {
    this.section = section;
    this.values = values;
    this.specs = specs;
    for (const key of values.keys()) {
      const spec = this.specFor(key);
      if (!spec) throw this.error(key, `unknown key (known keys: ${specs.map((s) => (s.key.endsWith('.') ? s.key + '<name>' : s.key)).join(', ')})`);
      if (spec.key.endsWith('.')) {
        const rest = key.slice(spec.key.length);
        if (!LABEL_NAME_RE.test(rest) || rest.startsWith('__')) throw this.error(key, `${quoteInput(rest)} is not a valid label name`);
      }
    }
  }

  /** Builds an error naming the file the key came from. */
  error(key: string | undefined, message: string): ConfigError {
    const origin = (key !== undefined ? this.values.get(key)?.origin : undefined) ?? this.anyOrigin();
    return new ConfigError(origin, this.section, key, message);
  }

  has(key: string): boolean {
    return this.values.has(key) || this.specFor(key)?.default !== undefined;
  }

  /** Raw string value or the default; undefined when neither. */
  raw(key: string): string | undefined {
    const v = this.values.get(key);
    if (v !== undefined) {
      if (Array.isArray(v.value)) throw this.error(key, 'this key takes one value, not a list (key[] = ...)');
      return v.value;
    }
    return this.specFor(key)?.default;
  }

  /** Raw value(s) as a list: `key[] = a` lines, or one value. */
  list(key: string): string[] | undefined {
    const v = this.values.get(key);
    if (v !== undefined) return Array.isArray(v.value) ? v.value : [v.value];
    const d = this.specFor(key)?.default;
    return d === undefined ? undefined : [d];
  }

  string(key: string): string | undefined {
    return this.raw(key);
  }

  requiredString(key: string): string {
    const v = this.raw(key);
    if (v === undefined || v === '') throw this.error(key, 'is required');
    return v;
  }

  bool(key: string): boolean | undefined {
    return this.convert(key, parseBool);
  }

  /** Within the key's declared range; `min` is an extra lower bound (prefer declaring it in the KeySpec). */
  int(key: string, min?: number): number | undefined {
    const n = this.ranged(key, 'int');
    if (n !== undefined && min !== undefined && n < min) throw this.error(key, `must be at least ${min}, got ${n}`);
    return n;
  }

  /** Seconds, within the key's declared range (positive when it declares none). */
  duration(key: string): number | undefined {
    return this.ranged(key, 'duration');
  }

  /** Bytes, within the key's declared range. */
  bytes(key: string): number | undefined {
    return this.ranged(key, 'bytes');
  }

  url(key: string, protocols: readonly string[] = ['http:', 'https:']): URL | undefined {
    return this.convert(key, (t) => parseUrl(t, protocols));
  }

  /** A regular expression anchored at both ends, as Prometheus' relabelling regexes are. */
  regex(key: string): RegExp | undefined {
    return this.convert(key, (t) => {
      try {
        return new RegExp(`^(?:${t})$`);
      } catch (err) {
        throw new Error(`invalid regular expression ${quoteInput(t)}: ${regexErrorReason(err)}`);
      }
    });
  }

  /**
   * A secret given inline (`key`) or as a file (`key_file`, read now, trailing
   * newline dropped). Both at once is an error. The value is never logged.
   */
  secret(key: string): string | undefined {
    const inline = this.raw(key);
    const file = this.raw(`${key}_file`);
    if (inline !== undefined && file !== undefined) throw this.error(`${key}_file`, `give either ${key} or ${key}_file, not both`);
    if (file === undefined) return inline;
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw this.error(`${key}_file`, `cannot read ${displayName(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }

  /** Every dynamic key under `prefix` (e.g. `label.`) as name → value. */
  prefixed(prefix: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, v] of this.values) {
      if (!key.startsWith(prefix)) continue;
      if (Array.isArray(v.value)) throw this.error(key, 'this key takes one value, not a list');
      out[key.slice(prefix.length)] = v.value;
    }
    return out;
  }

  /** A list of URLs (`key[] = ...` lines, or one value), each checked as url() checks one; empty values are skipped. */
  urls(key: string, protocols?: readonly string[]): URL[] {
    const origin = this.values.get(key)?.origin ?? 'built-in default';
    return (this.list(key) ?? []).flatMap(
      (item) => new SectionReader(this.section, new Map([[key, { value: item, origin }]]), this.specs).url(key, protocols) ?? [],
    );
  }

  /** Keys actually given (not defaults), for sections whose keys are validated elsewhere. */
  givenKeys(): string[] {
    return [...this.values.keys()];
  }

  private ranged(key: string, kind: RangedKind): number | undefined {
    const spec = this.specFor(key);
    return this.convert(key, (t) => parseInRange(kind, t, spec ?? {}));
  }

  private convert<T>(key: string, fn: (text: string) => T): T | undefined {
    const raw = this.raw(key);
    if (raw === undefined || raw === '') return undefined;
    try {
      return fn(raw);
    } catch (err) {
      throw this.error(key, (err as Error).message);
    }
  }

  private specFor(key: string): KeySpec | undefined {
    return findKeySpec(this.specs, key);
  }

  private anyOrigin(): string {
    for (const v of this.values.values()) return v.origin;
    return 'built-in default';
  }
}

/** Why V8 refused a pattern, without the pattern it quotes raw (and unbounded) in its message. */
export function regexErrorReason(err: unknown): string {
  return (err as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '');
}

/** Key specs for a secret given inline or as `<key>_file`. */
export function secretKeys(key: string, help: string): KeySpec[] {
  return [
    { key, kind: 'string', help: `${help} Prefer ${key}_file.`, secret: true, connection: true },
    {
      key: `${key}_file`,
      kind: 'path',
      connection: true,
      help: `File holding the ${key.replace(/_/g, ' ')} (trailing newline ignored): read at start and on reload, never logged.`,
    },
  ];
}

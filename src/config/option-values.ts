/**
 * Typed values of options given as node_exporter-style flags or as INI keys
 * of the same names (the host collectors' options, the CLI's flags).
 */
import { parseGoDuration } from './duration.ts';

export type OptionKind = 'string' | 'bool' | 'int' | 'regex' | 'strings' | 'duration';

export type OptionValue = string | boolean | number | string[];

/** Resolved option values of one collection, with typed accessors. */
export class OptionValues {
  private readonly values = new Map<string, OptionValue>();
  private readonly regexCache = new Map<string, RegExp | undefined>();

  constructor(specs: Iterable<{ name: string; default: OptionValue }> = [], overrides: ReadonlyMap<string, OptionValue> = new Map()) {
    for (const spec of specs) this.values.set(spec.name, overrides.has(spec.name) ? overrides.get(spec.name)! : spec.default);
    for (const [k, v] of overrides) if (!this.values.has(k)) this.values.set(k, v);
  }

  string(name: string): string {
    const v = this.require(name);
    return Array.isArray(v) ? v.join(',') : String(v);
  }

  bool(name: string): boolean {
    const v = this.require(name);
    return v === true || v === 'true';
  }

  int(name: string): number {
    return Number(this.require(name));
  }

  strings(name: string): string[] {
    const v = this.require(name);
    if (Array.isArray(v)) return v;
    return v === '' ? [] : [String(v)];
  }

  /** Seconds, for options given as Go durations ("5s", "1m30s") or plain numbers. */
  durationSeconds(name: string): number {
    const v = this.require(name);
    return typeof v === 'number' ? v : parseGoDuration(String(v));
  }

  /**
   * The option as a RegExp, or undefined when it is empty (node_exporter
   * treats an empty include/exclude as "no filter"). Unanchored, as Go's
   * regexp.MatchString is.
   */
  regex(name: string): RegExp | undefined {
    if (this.regexCache.has(name)) return this.regexCache.get(name);
    const src = this.string(name);
    const re = src === '' ? undefined : new RegExp(src);
    this.regexCache.set(name, re);
    return re;
  }

  private require(name: string): OptionValue {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`unknown collector option ${name}`);
    return v;
  }
}

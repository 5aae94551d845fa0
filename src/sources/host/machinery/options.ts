/**
 * Options of host collectors, declared by each collector with node_exporter's
 * flag names (without the leading dashes), e.g. `collector.netdev.device-include`.
 */
import { quoteInput } from '../../../quote.ts';

export type OptionKind = 'string' | 'bool' | 'int' | 'regex' | 'strings' | 'duration';

export interface OptionSpec {
  /** Flag name without dashes: `collector.<collector>.<option>`. */
  name: string;
  kind: OptionKind;
  /** Default as node_exporter's flag default (string form for string/regex, etc.). */
  default: string | boolean | number | string[];
  help: string;
  /** Names a file or directory of this host: a remote configuration layer may not set it. */
  path?: boolean;
  /** Range of a duration or int option, as KeySpec declares one (e.g. '100ms', '1m'). */
  min?: string;
  max?: string;
}

export type OptionValue = string | boolean | number | string[];

/** Resolved option values of one collection, with typed accessors. */
export class OptionValues {
  private readonly values = new Map<string, OptionValue>();
  private readonly regexCache = new Map<string, RegExp | undefined>();

  constructor(specs: Iterable<OptionSpec> = [], overrides: ReadonlyMap<string, OptionValue> = new Map()) {
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

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Parses Go/Prometheus durations such as "1m30s", "500ms", "15s", "2h". */
export function parseGoDuration(text: string): number {
  const t = text.trim();
  let total = 0;
  if (/^\d+(\.\d+)?$/.test(t)) total = Number(t);
  else {
    const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/gy;
    let consumed = 0;
    for (let m = re.exec(t); m; m = re.exec(t)) {
      total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
      consumed = re.lastIndex;
    }
    if (consumed === 0 || consumed !== t.length) throw new Error(`invalid duration ${quoteInput(text)} (use e.g. 500ms, 15s, 1m30s)`);
  }
  // A long enough digit string is Infinity, which printed as "Infinitys" and made timers fire at once.
  if (!Number.isFinite(total)) throw new Error(`duration ${quoteInput(text)} is too large`);
  return total;
}

/** Include/exclude device filter with node_exporter's semantics (include wins when both given is an error there; here include is checked first). */
export class DeviceFilter {
  private readonly include: RegExp | undefined;
  private readonly exclude: RegExp | undefined;
  constructor(include: RegExp | undefined, exclude: RegExp | undefined) {
    this.include = include;
    this.exclude = exclude;
  }
  ignored(name: string): boolean {
    if (this.include) return !this.include.test(name);
    if (this.exclude) return this.exclude.test(name);
    return false;
  }
}

/**
 * Options of host collectors, declared by each collector with node_exporter's
 * flag names (without the leading dashes), e.g. `collector.netdev.device-include`.
 */
import type { OptionKind, OptionValue } from '../../../config/option-values.ts';

export interface OptionSpec {
  /** Flag name without dashes: `collector.<collector>.<option>`. */
  name: string;
  kind: OptionKind;
  /** Default as node_exporter's flag default (string form for string/regex, etc.). */
  default: OptionValue;
  help: string;
  /** Names a file or directory of this host: a remote configuration layer may not set it. */
  path?: boolean;
  /** Range of a duration or int option, as KeySpec declares one (e.g. '100ms', '1m'). */
  min?: string;
  max?: string;
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

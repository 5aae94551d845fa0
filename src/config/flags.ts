/**
 * Command-line flags in node_exporter's (kingpin's) style:
 * `--name=value`, `--name value`, `--name` / `--no-name` for booleans,
 * repeatable flags accumulating. Unknown flags are errors.
 */
import type { OptionKind, OptionValue } from './option-values.ts';
import { quoteInput } from '../quote.ts';
import { describeRange, parseInRange, regexErrorReason } from './schema.ts';

export interface FlagSpec {
  name: string;
  kind: OptionKind;
  default: OptionValue;
  help: string;
  /** Placeholder shown in --help. */
  placeholder?: string;
  /** Names a file or directory of this host: a remote configuration layer may not set it. */
  path?: boolean;
  /** Range of a duration or int flag, as KeySpec declares one. */
  min?: string;
  max?: string;
}

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export interface ParsedFlags {
  /** Only the flags given on the command line, by name. */
  given: Map<string, OptionValue>;
  /** Non-flag arguments, in order. */
  positional: string[];
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const given = new Map<string, OptionValue>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg !== '-') throw new FlagError(`unknown short flag ${arg} (flags are --long-names; see --help)`);
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    const spec = byName.get(name);
    if (!spec && name.startsWith('no-')) {
      const positive = byName.get(name.slice(3));
      if (positive?.kind === 'bool') {
        if (inline !== undefined) throw new FlagError(`flag --${name} takes no value`);
        given.set(positive.name, false);
        continue;
      }
    }
    if (!spec) throw new FlagError(`unknown flag --${name}${suggest(name, byName)}`);
    if (spec.kind === 'bool') {
      if (inline === undefined) given.set(name, true);
      else if (inline === 'true' || inline === 'false') given.set(name, inline === 'true');
      else throw new FlagError(`flag --${name} expects true or false, got ${quoteInput(inline)}`);
      continue;
    }
    if (inline === undefined) {
      if (i + 1 >= argv.length) throw new FlagError(`flag --${name} needs a value`);
      inline = argv[++i]!;
    }
    given.set(name, convertFlagValue(spec, inline, given.get(name)));
  }
  return { given, positional };
}

export function convertFlagValue(spec: FlagSpec, raw: string, previous: OptionValue | undefined): OptionValue {
  switch (spec.kind) {
    case 'strings':
      return [...((previous as string[] | undefined) ?? []), raw];
    case 'int':
    case 'duration':
      try {
        const value = parseInRange(spec.kind, raw, spec);
        return spec.kind === 'int' ? value : raw;
      } catch (err) {
        throw new FlagError(`flag --${spec.name}: ${(err as Error).message}`);
      }
    case 'regex':
      try {
        new RegExp(raw);
      } catch (err) {
        throw new FlagError(`flag --${spec.name}: invalid regular expression ${quoteInput(raw)}: ${regexErrorReason(err)}`);
      }
      return raw;
    case 'bool':
      if (raw !== 'true' && raw !== 'false') throw new FlagError(`flag --${spec.name} expects true or false, got ${quoteInput(raw)}`);
      return raw === 'true';
    default:
      return raw;
  }
}

function suggest(name: string, byName: Map<string, FlagSpec>): string {
  const close = [...byName.keys()].filter((k) => k.includes(name) || name.includes(k)).slice(0, 3);
  return close.length ? ` (did you mean ${close.map((c) => '--' + c).join(', ')}?)` : ' (see --help)';
}

export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  const lines: string[] = [];
  for (const s of specs) {
    const head = s.kind === 'bool' ? `  --[no-]${s.name}` : `  --${s.name}=${s.placeholder ?? placeholderFor(s.kind)}`;
    const def =
      s.kind === 'bool'
        ? s.default
          ? ' (default: on)'
          : ''
        : Array.isArray(s.default)
          ? s.default.length
            ? ` (default: ${s.default.join(', ')})`
            : ''
          : s.default === ''
            ? ''
            : ` (default: ${JSON.stringify(s.default)})`;
    lines.push(head);
    const range = describeRange(s);
    lines.push(`      ${s.help}${def}${range === undefined ? '' : ` (${range})`}${s.kind === 'strings' ? ' Repeatable.' : ''}`);
  }
  return lines.join('\n');
}

function placeholderFor(kind: OptionKind): string {
  switch (kind) {
    case 'int':
      return 'N';
    case 'regex':
      return 'REGEX';
    case 'duration':
      return 'DURATION';
    default:
      return 'VALUE';
  }
}

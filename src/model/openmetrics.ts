/**
 * OpenMetrics text 1.0 → text format 0.0.4, the format the Pushgateway and
 * the strict parser speak, converted line by line as a body arrives. Counters
 * become `<name>_total` families, info `<name>_info` gauges, stateset gauges,
 * unknown untyped, gaugehistogram plain untyped series; `_created` samples,
 * UNIT lines and exemplars are dropped; timestamps (seconds) become
 * milliseconds. A body without the final `# EOF` was truncated and is refused.
 */
import { quoteInput } from '../quote.ts';
import type { MetricFamily } from './family.ts';
import { TextParseError, TextParser, type LineSink } from './text-parser.ts';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text';

/** Converts OpenMetrics lines and hands the text-format lines to `out` (the same line numbers). */
export class OpenMetricsLines implements LineSink {
  private readonly out: LineSink;
  private readonly types = new Map<string, string>();
  /** A HELP line waits for its family's TYPE, which may follow it and decides the family's name. */
  private pendingHelp: { name: string; text: string; lineNo: number; validUtf8: boolean } | undefined;
  private eofLine = 0;
  private lastLine = 0;

  constructor(out: LineSink) {
    this.out = out;
  }

  line(line: string, lineNo: number, validUtf8 = true): void {
    this.lastLine = lineNo;
    if (this.eofLine) throw new TextParseError(lineNo, 'text after "# EOF"');
    if (line === '# EOF') {
      this.flushHelp();
      this.eofLine = lineNo;
      return;
    }
    if (line.startsWith('#')) return this.metadata(line, lineNo, validUtf8);
    this.flushHelp();
    if (line === '') throw new TextParseError(lineNo, 'empty line (not allowed in OpenMetrics)');
    const sample = convertSample(line, lineNo, this.types);
    if (sample !== undefined) this.out.line(sample, lineNo, validUtf8);
  }

  /** Refuses a body that ended before its `# EOF`. */
  end(): void {
    if (!this.eofLine) throw new TextParseError(this.lastLine, 'OpenMetrics body without "# EOF": truncated');
  }

  private metadata(line: string, lineNo: number, validUtf8: boolean): void {
    const m = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(line);
    if (!m) return;
    const [, keyword, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
    if (keyword === 'TYPE') this.types.set(name, rest);
    if (this.pendingHelp?.name !== name || keyword === 'HELP') this.flushHelp();
    if (keyword === 'UNIT' || this.types.get(name) === 'gaugehistogram') return;
    if (keyword === 'HELP') {
      this.pendingHelp = { name, text: rest, lineNo, validUtf8 };
      return;
    }
    this.flushHelp();
    this.out.line(`# TYPE ${familyName(name, rest)} ${convertType(rest)}`, lineNo, validUtf8);
  }

  private flushHelp(): void {
    const help = this.pendingHelp;
    if (!help) return;
    this.pendingHelp = undefined;
    const type = this.types.get(help.name);
    if (type === 'gaugehistogram') return;
    this.out.line(`# HELP ${familyName(help.name, type)} ${help.text.replace(/\\"/g, '"')}`, help.lineNo, help.validUtf8);
  }
}

export function parseOpenMetrics(text: string): MetricFamily[] {
  const parser = new TextParser();
  feedLines(text, new OpenMetricsLines(parser));
  return parser.finish();
}

export function openMetricsToText(text: string): string {
  const out: string[] = [];
  feedLines(text, new OpenMetricsLines({ line: (l) => void out.push(l) }));
  return out.length ? out.join('\n') + '\n' : '';
}

function feedLines(text: string, lines: OpenMetricsLines): void {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  all.forEach((line, i) => lines.line(line, i + 1));
  lines.end();
}

function familyName(name: string, type: string | undefined): string {
  if (type === 'counter') return `${name}_total`;
  if (type === 'info') return `${name}_info`;
  return name;
}

function convertType(type: string): string {
  switch (type) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
      return type;
    case 'info':
    case 'stateset':
      return 'gauge';
    default:
      return 'untyped';
  }
}

/** Drops `_created` series and exemplars; converts the timestamp to ms. */
function convertSample(line: string, lineNo: number, types: Map<string, string>): string | undefined {
  let pos = 0;
  while (pos < line.length && line[pos] !== '{' && line[pos] !== ' ') pos++;
  const name = line.slice(0, pos);
  if (name.endsWith('_created')) {
    const base = name.slice(0, -'_created'.length);
    const t = types.get(base);
    if (t === 'counter' || t === 'histogram' || t === 'summary') return undefined;
  }
  if (line[pos] === '{') {
    let inQuotes = false;
    for (pos++; pos < line.length; pos++) {
      const c = line[pos];
      if (inQuotes) {
        if (c === '\\') pos++;
        else if (c === '"') inQuotes = false;
      } else if (c === '"') inQuotes = true;
      else if (c === '}') break;
    }
    if (pos >= line.length) throw new TextParseError(lineNo, `unterminated label set in ${quoteInput(line, 60)}`);
    pos++;
  }
  const head = line.slice(0, pos);
  const rest = line.slice(pos);
  const hash = rest.indexOf(' # ');
  const fields = (hash === -1 ? rest : rest.slice(0, hash)).trim().split(' ');
  if (fields.length === 0 || fields.length > 2 || fields[0] === '') throw new TextParseError(lineNo, `invalid OpenMetrics sample ${quoteInput(line, 60)}`);
  let converted = `${head} ${fields[0]}`;
  if (fields.length === 2) {
    const seconds = Number(fields[1]);
    if (!Number.isFinite(seconds)) throw new TextParseError(lineNo, `invalid timestamp ${quoteInput(fields[1]!)}`);
    converted += ` ${Math.round(seconds * 1000)}`;
  }
  return converted;
}

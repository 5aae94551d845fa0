/**
 * OpenMetrics text 1.0 → text format 0.0.4, the format the Pushgateway and
 * the strict parser speak. Counters become `<name>_total` families, info
 * `<name>_info` gauges, stateset gauges, unknown untyped, gaugehistogram
 * plain untyped series; `_created` samples, UNIT lines and exemplars are
 * dropped; timestamps (seconds) become milliseconds. A body without the
 * final `# EOF` was truncated and is refused.
 */
import { TextParseError, parseText } from './text-parser.ts';
import type { MetricFamily } from './family.ts';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text';

export function parseOpenMetrics(text: string): MetricFamily[] {
  return parseText(openMetricsToText(text));
}

export function openMetricsToText(text: string): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const eof = lines.lastIndexOf('# EOF');
  if (eof === -1) throw new TextParseError(lines.length, 'OpenMetrics body without "# EOF": truncated');
  if (eof !== lines.length - 1) throw new TextParseError(eof + 2, 'text after "# EOF"');
  const types = new Map<string, string>();
  for (const line of lines) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) types.set(m[1]!, m[2]!);
  }
  const out: string[] = [];
  for (let i = 0; i < eof; i++) {
    const line = lines[i]!;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/.exec(line);
      if (!m) continue;
      const [, keyword, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
      const type = types.get(name);
      if (keyword === 'UNIT' || type === 'gaugehistogram') continue;
      const renamed = familyName(name, type);
      if (keyword === 'HELP') out.push(`# HELP ${renamed} ${rest.replace(/\\"/g, '"')}`);
      else out.push(`# TYPE ${renamed} ${convertType(rest)}`);
      continue;
    }
    if (line === '') throw new TextParseError(i + 1, 'empty line (not allowed in OpenMetrics)');
    const sample = convertSample(line, i + 1, types);
    if (sample !== undefined) out.push(sample);
  }
  return out.length ? out.join('\n') + '\n' : '';
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
    if (pos >= line.length) throw new TextParseError(lineNo, `unterminated label set in ${JSON.stringify(line.slice(0, 60))}`);
    pos++;
  }
  const head = line.slice(0, pos);
  const rest = line.slice(pos);
  const hash = rest.indexOf(' # ');
  const fields = (hash === -1 ? rest : rest.slice(0, hash)).trim().split(' ');
  if (fields.length === 0 || fields.length > 2 || fields[0] === '') throw new TextParseError(lineNo, `invalid OpenMetrics sample ${JSON.stringify(line.slice(0, 60))}`);
  let converted = `${head} ${fields[0]}`;
  if (fields.length === 2) {
    const seconds = Number(fields[1]);
    if (!Number.isFinite(seconds)) throw new TextParseError(lineNo, `invalid timestamp ${JSON.stringify(fields[1])}`);
    converted += ` ${Math.round(seconds * 1000)}`;
  }
  return converted;
}

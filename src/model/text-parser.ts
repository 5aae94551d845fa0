import { belongsToFamily, LABEL_NAME_RE, METRIC_NAME_RE, METRIC_TYPES, labelsKey } from './family.ts';
import type { Labels, MetricFamily, MetricType, Sample } from './family.ts';
import { parseFloatStrict } from './format-float.ts';

/** A text-format error, with the 1-based line it was found on. */
export class TextParseError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'TextParseError';
    this.line = line;
  }
}

export interface ParseOptions {
  /** Reject samples that carry a timestamp (the Pushgateway does). */
  rejectTimestamps?: boolean;
  /**
   * Also accept what expfmt's parser (node_exporter's textfile collector)
   * accepts although the Pushgateway refuses it: a family continued after
   * another family's block, and a repeated series (the caller dedupes).
   */
  expfmtLenient?: boolean;
}

/**
 * Strict parser of the text exposition format 0.0.4. It refuses what the
 * Pushgateway refuses (CRLF, no trailing newline, second HELP/TYPE, TYPE after
 * samples, duplicate series, a family split in two blocks, bad names, values
 * and escapes), so whatever it returns can be pushed.
 */
export function parseText(text: string, options: ParseOptions = {}): MetricFamily[] {
  if (text.length > 0 && !text.endsWith('\n')) {
    throw new TextParseError(countLines(text), 'unexpected end of input: the last line has no trailing newline');
  }
  const families = new Map<string, MetricFamily>();
  const seenSeries = new Map<string, Set<string>>();
  const typed = new Set<string>();
  let current: MetricFamily | undefined;
  const lines = text.split('\n');
  lines.pop(); // the empty string after the final newline

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!;
    if (line.includes('\r')) throw new TextParseError(lineNo, 'carriage return found (CRLF line endings are not allowed)');
    const trimmed = line.replace(/^[ \t]+/, '');
    if (trimmed === '') continue;
    if (trimmed.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(trimmed) ?? /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)[ \t]*()$/.exec(trimmed);
      if (!m) continue; // plain comment
      const [, keyword, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
      if (!METRIC_NAME_RE.test(name)) throw new TextParseError(lineNo, `invalid metric name ${JSON.stringify(name)} in ${keyword} line`);
      let family = families.get(name);
      if (family && family !== current) {
        if (!options.expfmtLenient) throw new TextParseError(lineNo, `${keyword} for metric family ${name} after its samples were already given in an earlier block`);
        current = family;
      }
      if (!family) {
        family = { name, type: 'untyped', samples: [] };
        families.set(name, family);
        current = family;
      }
      if (keyword === 'HELP') {
        if (family.help !== undefined) throw new TextParseError(lineNo, `second HELP line for metric name ${name}`);
        family.help = unescapeHelp(rest, lineNo);
      } else {
        if (typed.has(name)) throw new TextParseError(lineNo, `second TYPE line for metric name ${name}`);
        if (family.samples.length > 0) throw new TextParseError(lineNo, `TYPE line for ${name} after its samples`);
        const type = rest.trim().toLowerCase();
        if (!(METRIC_TYPES as readonly string[]).includes(type)) throw new TextParseError(lineNo, `unknown metric type ${JSON.stringify(rest.trim())} for ${name}`);
        family.type = type as MetricType;
        typed.add(name);
      }
      continue;
    }

    const sample = parseSampleLine(trimmed, lineNo);
    if (sample.timestampMs !== undefined && options.rejectTimestamps) {
      throw new TextParseError(lineNo, `sample ${sample.name} carries a timestamp, which is not allowed here`);
    }
    let family: MetricFamily | undefined;
    if (current && belongsToFamily(sample.name, current.name, current.type)) {
      family = current;
    } else {
      const owner = findOwner(families, sample.name);
      if (owner && !options.expfmtLenient) throw new TextParseError(lineNo, `sample ${sample.name} belongs to metric family ${owner.name}, whose block ended earlier`);
      if (owner) family = owner;
      else {
        family = { name: sample.name, type: 'untyped', samples: [] };
        families.set(sample.name, family);
      }
      current = family;
    }
    validateComplexSample(family, sample, lineNo);
    let seen = seenSeries.get(family.name);
    if (!seen) seenSeries.set(family.name, (seen = new Set()));
    const key = sample.name + '\u0002' + labelsKey(sample.labels);
    if (seen.has(key) && !options.expfmtLenient) throw new TextParseError(lineNo, `duplicate series ${sample.name}${formatLabelsForError(sample.labels)}`);
    seen.add(key);
    family.samples.push(sample);
  }
  return [...families.values()];
}

function findOwner(families: Map<string, MetricFamily>, sampleName: string): MetricFamily | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const f = families.get(sampleName.slice(0, -suffix.length));
      if (f && belongsToFamily(sampleName, f.name, f.type)) return f;
    }
  }
  return undefined;
}

function validateComplexSample(family: MetricFamily, sample: Sample, lineNo: number): void {
  if (family.type === 'histogram' && sample.name === family.name + '_bucket') {
    const le = sample.labels['le'];
    if (le === undefined || parseFloatStrict(le) === undefined) throw new TextParseError(lineNo, `histogram bucket ${sample.name} needs a numeric "le" label`);
  } else if (family.type === 'summary' && sample.name === family.name) {
    const q = sample.labels['quantile'];
    if (q === undefined || parseFloatStrict(q) === undefined) throw new TextParseError(lineNo, `summary ${sample.name} needs a numeric "quantile" label`);
  }
}

function parseSampleLine(line: string, lineNo: number): Sample {
  let pos = 0;
  while (pos < line.length && /[a-zA-Z0-9_:]/.test(line[pos]!)) pos++;
  const name = line.slice(0, pos);
  if (!METRIC_NAME_RE.test(name)) throw new TextParseError(lineNo, `invalid metric name at start of ${JSON.stringify(line.slice(0, 40))}`);
  const labels: Record<string, string> = {};
  let afterBlank = pos;
  while (line[afterBlank] === ' ' || line[afterBlank] === '\t') afterBlank++;
  if (line[afterBlank] === '{') {
    pos = afterBlank + 1;
    for (;;) {
      while (line[pos] === ' ' || line[pos] === '\t') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const start = pos;
      while (pos < line.length && /[a-zA-Z0-9_]/.test(line[pos]!)) pos++;
      const labelName = line.slice(start, pos);
      if (!LABEL_NAME_RE.test(labelName)) throw new TextParseError(lineNo, `invalid label name ${JSON.stringify(labelName || line.slice(start, start + 10))} in ${name}`);
      if (labelName === '__name__' || Object.hasOwn(labels, labelName)) throw new TextParseError(lineNo, `duplicate or reserved label name ${labelName} in ${name}`);
      while (line[pos] === ' ' || line[pos] === '\t') pos++;
      if (line[pos] !== '=') throw new TextParseError(lineNo, `expected "=" after label name ${labelName} in ${name}`);
      pos++;
      while (line[pos] === ' ' || line[pos] === '\t') pos++;
      if (line[pos] !== '"') throw new TextParseError(lineNo, `expected '"' to start the value of label ${labelName} in ${name}`);
      pos++;
      // Whole runs between escapes are sliced, not appended character by
      // character: per-character `+=` leaves a rope of one cons string per
      // character in every label value (~500 bytes of heap per series).
      let value = '';
      let run = pos;
      for (;;) {
        if (pos >= line.length) throw new TextParseError(lineNo, `unterminated value of label ${labelName} in ${name}`);
        const c = line[pos]!;
        if (c === '"') {
          value += line.slice(run, pos);
          pos++;
          break;
        }
        if (c === '\\') {
          value += line.slice(run, pos);
          const next = line[pos + 1];
          if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === 'n') value += '\n';
          else throw new TextParseError(lineNo, `invalid escape sequence "\\${next ?? ''}" in value of label ${labelName}`);
          pos += 2;
          run = pos;
          continue;
        }
        pos++;
      }
      labels[labelName] = value;
      while (line[pos] === ' ' || line[pos] === '\t') pos++;
      if (line[pos] === ',') {
        pos++;
        continue;
      }
      if (line[pos] === '}') {
        pos++;
        break;
      }
      throw new TextParseError(lineNo, `expected "," or "}" after label ${labelName} in ${name}`);
    }
  }
  const rest = line.slice(pos);
  if (rest.length > 0 && rest[0] !== ' ' && rest[0] !== '\t') throw new TextParseError(lineNo, `expected a space before the value of ${name}`);
  const fields = rest.trim().split(/[ \t]+/).filter((f) => f !== '');
  if (fields.length === 0) throw new TextParseError(lineNo, `missing value for ${name}`);
  if (fields.length > 2) throw new TextParseError(lineNo, `unexpected text after the value of ${name}: ${JSON.stringify(fields.slice(2).join(' '))}`);
  const value = parseFloatStrict(fields[0]!);
  if (value === undefined) throw new TextParseError(lineNo, `invalid value ${JSON.stringify(fields[0])} for ${name}`);
  const sample: Sample = { name, labels, value };
  if (fields.length === 2) {
    if (!/^-?\d+$/.test(fields[1]!)) throw new TextParseError(lineNo, `invalid timestamp ${JSON.stringify(fields[1])} for ${name}`);
    sample.timestampMs = Number(fields[1]);
  }
  return sample;
}

function unescapeHelp(text: string, lineNo: number): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else throw new TextParseError(lineNo, `invalid escape sequence "\\${next ?? ''}" in HELP text`);
    i++;
  }
  return out;
}

function formatLabelsForError(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return names.length === 0 ? '' : '{' + names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',') + '}';
}

function countLines(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

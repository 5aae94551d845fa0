import { cutInput, quoteInput } from '../quote.ts';
import { ReasonedError } from '../reasoned-error.ts';
import { belongsToFamily, LABEL_NAME_RE, METRIC_NAME_RE, METRIC_TYPES, labelsKey } from './family.ts';
import type { Labels, MetricFamily, MetricType, Sample } from './family.ts';
import { parseFloatStrict } from './format-float.ts';

/** A text-format error, with the 1-based line it was found on; reason `parse` (syntax), `invalid_utf8` or `line_length`. */
export class TextParseError extends ReasonedError {
  readonly line: number;
  constructor(line: number, message: string, reason = 'parse') {
    super(reason, `line ${line}: ${message}`);
    this.line = line;
  }
}

/** More of something than a configured limit allows; the reason is the limit's config key. */
export class LimitExceededError extends ReasonedError {
  constructor(key: string, message: string) {
    super(key, `${key} exceeded: ${message}`);
  }
}

/** Prometheus' scrape limits, checked on the kept samples as they are parsed; 0 or absent means none. */
export interface ParseLimits {
  /** Most samples, and most metric families started by HELP/TYPE lines (they cost memory too). */
  sampleLimit?: number;
  /** Most labels on one sample (the metric name not counted). */
  labelLimit?: number;
  /** Longest label name, in bytes. */
  labelNameLengthLimit?: number;
  /** Longest label value, in bytes. */
  labelValueLengthLimit?: number;
}

export interface ParseOptions {
  /** Reject samples that carry a timestamp (the Pushgateway does). */
  rejectTimestamps?: boolean;
  /**
   * Also accept what expfmt's parser (node_exporter's textfile collector)
   * accepts although the Pushgateway refuses it: a family continued after
   * another family's block, a repeated series (the caller dedupes), and a
   * HELP text that is not UTF-8 (decoded with U+FFFD).
   */
  expfmtLenient?: boolean;
  limits?: ParseLimits;
  /**
   * The families to keep (metric_keep/metric_drop). The others are parsed
   * for their syntax only: neither kept, nor checked against the limits or
   * for duplicates, as Prometheus applies its limits after relabelling.
   */
  keepFamily?: (name: string) => boolean;
}

/** Takes an exposition one line at a time (without its newline). */
export interface LineSink {
  /** `validUtf8` false: the line's bytes were not UTF-8 (it was decoded with U+FFFD). */
  line(text: string, lineNo: number, validUtf8?: boolean): void;
}

interface FamilyState {
  family: MetricFamily;
  keep: boolean;
  typed: boolean;
  sampled: boolean;
}

/** Shared by every sample without labels: a parsed sample is what memory is spent on. */
const NO_LABELS: Labels = Object.freeze({});

/** Longest name quoted in an error: a valid name has no character to escape, but may be megabytes long. */
const MAX_NAME_IN_ERROR = 64;

/**
 * Strict parser of the text exposition format 0.0.4. It refuses what the
 * Pushgateway refuses (CRLF, no trailing newline, second HELP/TYPE, TYPE after
 * samples, duplicate series, a family split in two blocks, bad names, values
 * and escapes), so whatever it returns can be pushed. It takes the exposition
 * line by line (a scrape body is parsed as it arrives, and a limit stops it
 * early); parseText is the whole-string form.
 */
export class TextParser implements LineSink {
  /** Samples read so far, of every family (scrape_samples_scraped). */
  samplesScraped = 0;
  private readonly options: ParseOptions;
  /** The kept families; a dropped family lives only while it is the current block. */
  private readonly families = new Map<string, FamilyState>();
  /** Keys of the kept series: one set for all families (a sample name belongs to one family). */
  private readonly seen = new Set<string>();
  private current: FamilyState | undefined;
  private kept = 0;

  constructor(options: ParseOptions = {}) {
    this.options = options;
  }

  line(line: string, lineNo: number, validUtf8 = true): void {
    if (line.includes('\r')) throw new TextParseError(lineNo, 'carriage return found (CRLF line endings are not allowed)');
    const trimmed = line.replace(/^[ \t]+/, '');
    if (trimmed === '') return;
    if (trimmed.startsWith('#')) return this.metadata(trimmed, lineNo, validUtf8);
    // Prometheus refuses label values that are not UTF-8; anything else there would fail the syntax anyway.
    if (!validUtf8) throw new TextParseError(lineNo, 'invalid UTF-8 in a sample line', 'invalid_utf8');
    this.sample(parseSampleLine(trimmed, lineNo), lineNo);
  }

  /** The kept families, in the order they first appeared. */
  finish(): MetricFamily[] {
    return [...this.families.values()].map((s) => s.family);
  }

  private metadata(trimmed: string, lineNo: number, validUtf8: boolean): void {
    const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(trimmed) ?? /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)[ \t]*()$/.exec(trimmed);
    if (!m) return; // plain comment
    const [, keyword, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
    if (!validUtf8 && !(keyword === 'HELP' && this.options.expfmtLenient)) throw new TextParseError(lineNo, `invalid UTF-8 in ${keyword} line`, 'invalid_utf8');
    if (!METRIC_NAME_RE.test(name)) throw new TextParseError(lineNo, `invalid metric name ${quoteInput(name)} in ${keyword} line`);
    let state = this.families.get(name) ?? (this.current?.family.name === name ? this.current : undefined);
    if (state && state !== this.current) {
      if (!this.options.expfmtLenient)
        throw new TextParseError(lineNo, `${keyword} for metric family ${shortName(name)} after its samples were already given in an earlier block`);
      this.current = state;
    }
    if (!state) this.current = state = this.addFamily(name, true);
    const family = state.family;
    if (keyword === 'HELP') {
      if (family.help !== undefined) throw new TextParseError(lineNo, `second HELP line for metric name ${shortName(name)}`);
      family.help = unescapeHelp(rest, lineNo);
    } else {
      if (state.typed) throw new TextParseError(lineNo, `second TYPE line for metric name ${shortName(name)}`);
      if (state.sampled) throw new TextParseError(lineNo, `TYPE line for ${shortName(name)} after its samples`);
      const type = rest.trim().toLowerCase();
      if (!(METRIC_TYPES as readonly string[]).includes(type))
        throw new TextParseError(lineNo, `unknown metric type ${quoteInput(rest.trim())} for ${shortName(name)}`);
      family.type = type as MetricType;
      state.typed = true;
    }
  }

  private sample(sample: Sample, lineNo: number): void {
    if (sample.timestampMs !== undefined && this.options.rejectTimestamps) {
      throw new TextParseError(lineNo, `sample ${shortName(sample.name)} carries a timestamp, which is not allowed here`);
    }
    let state = this.current;
    if (!state || !belongsToFamily(sample.name, state.family.name, state.family.type)) {
      const owner = this.findOwner(sample.name);
      if (owner && !this.options.expfmtLenient)
        throw new TextParseError(
          lineNo,
          `sample ${shortName(sample.name)} belongs to metric family ${shortName(owner.family.name)}, whose block ended earlier`,
        );
      this.current = state = owner ?? this.addFamily(sample.name);
    }
    this.samplesScraped++;
    // One copy of the name for the family's plain samples, not one per line.
    if (sample.name === state.family.name) sample.name = state.family.name;
    validateComplexSample(state.family, sample, lineNo);
    state.sampled = true;
    if (!state.keep) return;
    const key = sample.labels === NO_LABELS ? sample.name : sample.name + '\u0002' + labelsKey(sample.labels);
    if (this.seen.has(key) && !this.options.expfmtLenient) throw new TextParseError(lineNo, `duplicate series ${formatSeriesForError(sample)}`);
    const limits = this.options.limits;
    if (limits) checkSampleLimits(sample, ++this.kept, limits);
    this.seen.add(key);
    state.family.samples.push(sample);
  }

  private addFamily(name: string, byMetadata = false): FamilyState {
    const keep = this.options.keepFamily?.(name) ?? true;
    const state: FamilyState = { family: { name, type: 'untyped', samples: [] }, keep, typed: false, sampled: false };
    if (!keep) return state;
    // A family started by a sample is bounded by the sample count; one started by HELP/TYPE costs memory all the same.
    const limit = this.options.limits?.sampleLimit;
    if (byMetadata && limit && this.families.size >= limit)
      throw new LimitExceededError('sample_limit', `more than ${limit} metric families (the rest of the body is not read)`);
    this.families.set(name, state);
    return state;
  }

  private findOwner(sampleName: string): FamilyState | undefined {
    const direct = this.families.get(sampleName);
    if (direct) return direct;
    for (const suffix of ['_bucket', '_sum', '_count']) {
      if (sampleName.endsWith(suffix)) {
        const s = this.families.get(sampleName.slice(0, -suffix.length));
        if (s && belongsToFamily(sampleName, s.family.name, s.family.type)) return s;
      }
    }
    return undefined;
  }
}

/** Parses a whole exposition (which must end with a newline). */
export function parseText(text: string, options: ParseOptions = {}): MetricFamily[] {
  if (text.length > 0 && !text.endsWith('\n')) {
    throw new TextParseError(countLines(text), 'unexpected end of input: the last line has no trailing newline');
  }
  const parser = new TextParser(options);
  let lineNo = 0;
  for (let start = 0, nl = text.indexOf('\n'); nl !== -1; start = nl + 1, nl = text.indexOf('\n', start)) {
    parser.line(text.slice(start, nl), ++lineNo);
  }
  return parser.finish();
}

function checkSampleLimits(sample: Sample, keptSamples: number, limits: ParseLimits): void {
  const { sampleLimit, labelLimit, labelNameLengthLimit, labelValueLengthLimit } = limits;
  if (sampleLimit && keptSamples > sampleLimit)
    throw new LimitExceededError('sample_limit', `more than ${sampleLimit} samples (the rest of the body is not read)`);
  if (!labelLimit && !labelNameLengthLimit && !labelValueLengthLimit) return;
  const names = Object.keys(sample.labels);
  if (labelLimit && names.length > labelLimit)
    throw new LimitExceededError('label_limit', `${shortName(sample.name)} has ${names.length} labels, more than ${labelLimit}`);
  for (const n of names) {
    if (labelNameLengthLimit && n.length > labelNameLengthLimit) {
      throw new LimitExceededError(
        'label_name_length_limit',
        `label name ${shortName(n)} of ${shortName(sample.name)} is ${n.length} bytes long, more than ${labelNameLengthLimit}`,
      );
    }
    const bytes = labelValueLengthLimit ? Buffer.byteLength(sample.labels[n]!) : 0;
    if (labelValueLengthLimit && bytes > labelValueLengthLimit) {
      throw new LimitExceededError(
        'label_value_length_limit',
        `the value of label ${shortName(n)} of ${shortName(sample.name)} is ${bytes} bytes long, more than ${labelValueLengthLimit}`,
      );
    }
  }
}

function validateComplexSample(family: MetricFamily, sample: Sample, lineNo: number): void {
  if (family.type === 'histogram' && sample.name === family.name + '_bucket') {
    const le = sample.labels['le'];
    if (le === undefined || parseFloatStrict(le) === undefined)
      throw new TextParseError(lineNo, `histogram bucket ${shortName(sample.name)} needs a numeric "le" label`);
  } else if (family.type === 'summary' && sample.name === family.name) {
    const q = sample.labels['quantile'];
    if (q === undefined || parseFloatStrict(q) === undefined)
      throw new TextParseError(lineNo, `summary ${shortName(sample.name)} needs a numeric "quantile" label`);
  }
}

function parseSampleLine(line: string, lineNo: number): Sample {
  let pos = 0;
  while (pos < line.length && /[a-zA-Z0-9_:]/.test(line[pos]!)) pos++;
  const name = line.slice(0, pos);
  if (!METRIC_NAME_RE.test(name)) throw new TextParseError(lineNo, `invalid metric name at start of ${quoteInput(line, 40)}`);
  const shown = shortName(name);
  let labels: Record<string, string> | undefined;
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
      if (!LABEL_NAME_RE.test(labelName))
        throw new TextParseError(lineNo, `invalid label name ${quoteInput(labelName || line.slice(start, start + 10))} in ${shown}`);
      const label = shortName(labelName);
      if (labelName === '__name__' || (labels !== undefined && Object.hasOwn(labels, labelName)))
        throw new TextParseError(lineNo, `duplicate or reserved label name ${label} in ${shown}`);
      while (line[pos] === ' ' || line[pos] === '\t') pos++;
      if (line[pos] !== '=') throw new TextParseError(lineNo, `expected "=" after label name ${label} in ${shown}`);
      pos++;
      while (line[pos] === ' ' || line[pos] === '\t') pos++;
      if (line[pos] !== '"') throw new TextParseError(lineNo, `expected '"' to start the value of label ${label} in ${shown}`);
      pos++;
      // Whole runs between escapes are sliced, not appended character by
      // character: per-character `+=` leaves a rope of one cons string per
      // character in every label value (~500 bytes of heap per series).
      let value = '';
      let run = pos;
      for (;;) {
        if (pos >= line.length) throw new TextParseError(lineNo, `unterminated value of label ${label} in ${shown}`);
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
          else throw new TextParseError(lineNo, `invalid escape sequence ${quoteInput(`\\${next ?? ''}`)} in value of label ${label}`);
          pos += 2;
          run = pos;
          continue;
        }
        pos++;
      }
      (labels ??= {})[labelName] = value;
      while (line[pos] === ' ' || line[pos] === '\t') pos++;
      if (line[pos] === ',') {
        pos++;
        continue;
      }
      if (line[pos] === '}') {
        pos++;
        break;
      }
      throw new TextParseError(lineNo, `expected "," or "}" after label ${label} in ${shown}`);
    }
  }
  const rest = line.slice(pos);
  if (rest.length > 0 && rest[0] !== ' ' && rest[0] !== '\t') throw new TextParseError(lineNo, `expected a space before the value of ${shown}`);
  const fields = rest
    .trim()
    .split(/[ \t]+/)
    .filter((f) => f !== '');
  if (fields.length === 0) throw new TextParseError(lineNo, `missing value for ${shown}`);
  if (fields.length > 2) throw new TextParseError(lineNo, `unexpected text after the value of ${shown}: ${quoteInput(fields.slice(2).join(' '))}`);
  const value = parseFloatStrict(fields[0]!);
  if (value === undefined) throw new TextParseError(lineNo, `invalid value ${quoteInput(fields[0]!)} for ${shown}`);
  const sample: Sample = { name, labels: labels ?? NO_LABELS, value };
  if (fields.length === 2) {
    if (!/^-?\d+$/.test(fields[1]!)) throw new TextParseError(lineNo, `invalid timestamp ${quoteInput(fields[1]!)} for ${shown}`);
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
    else throw new TextParseError(lineNo, `invalid escape sequence ${quoteInput(`\\${next ?? ''}`)} in HELP text`);
    i++;
  }
  return out;
}

/** A metric or label name, already valid (nothing to escape), cut if it is very long. */
function shortName(name: string): string {
  return cutInput(name, MAX_NAME_IN_ERROR);
}

/** A series as in an error: its name and up to a few labels, each value a bounded excerpt. */
function formatSeriesForError(sample: Sample): string {
  const names = Object.keys(sample.labels).sort();
  const shown = names.slice(0, 8).map((n) => `${shortName(n)}=${quoteInput((sample.labels as Labels)[n]!, 40)}`);
  if (names.length > shown.length) shown.push(`... (${names.length} labels)`);
  return shortName(sample.name) + (names.length === 0 ? '' : `{${shown.join(',')}}`);
}

function countLines(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

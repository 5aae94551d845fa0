import { cutInput, quoteInput } from '../quote.ts';
import { ReasonedError } from '../reasoned-error.ts';
import { belongsToFamily, METRIC_NAME_RE, METRIC_TYPES } from './family.ts';
import type { Labels, MetricFamily, MetricType, Sample } from './family.ts';
import { parseFloatStrict } from './format-float.ts';
import type { StringTable } from './string-table.ts';
import { seriesText } from './text-encoder.ts';

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
  /**
   * Where the strings a source sends every scrape are kept from one scrape to
   * the next (see string-table.ts); without it they are slices of the input.
   */
  strings?: StringTable;
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
  /** Where parseSampleLine leaves the series key of the line it parsed (one object for every line). */
  private readonly seriesKey = { value: '' };

  constructor(options: ParseOptions = {}) {
    this.options = options;
  }

  line(line: string, lineNo: number, validUtf8 = true): void {
    if (line.includes('\r')) throw new TextParseError(lineNo, 'carriage return found (CRLF line endings are not allowed)');
    const start = skipBlanks(line, 0);
    if (start === line.length) return;
    const trimmed = start === 0 ? line : line.slice(start);
    if (trimmed.charCodeAt(0) === HASH) return this.metadata(trimmed, lineNo, validUtf8);
    // Prometheus refuses label values that are not UTF-8; anything else there would fail the syntax anyway.
    if (!validUtf8) throw new TextParseError(lineNo, 'invalid UTF-8 in a sample line', 'invalid_utf8');
    // Duplicates are looked for only when they are refused.
    const key = this.options.expfmtLenient ? undefined : this.seriesKey;
    this.sample(parseSampleLine(trimmed, lineNo, key, this.options.strings), key?.value, lineNo);
  }

  /** The kept families, in the order they first appeared. */
  finish(): MetricFamily[] {
    return [...this.families.values()].map((s) => s.family);
  }

  private metadata(trimmed: string, lineNo: number, validUtf8: boolean): void {
    const m = metadataFields(trimmed);
    if (!m) return; // plain comment
    const { keyword, name, rest } = m;
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
      const help = unescapeHelp(rest, lineNo);
      family.help = state.keep ? (this.options.strings?.intern(help) ?? help) : help;
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

  private sample(sample: Sample, key: string | undefined, lineNo: number): void {
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
    if (sample.name !== state.family.name && this.options.strings) sample.name = this.options.strings.intern(sample.name);
    if (key !== undefined && this.seen.has(key)) throw new TextParseError(lineNo, `duplicate series ${formatSeriesForError(sample)}`);
    const limits = this.options.limits;
    if (limits) checkSampleLimits(sample, ++this.kept, limits);
    if (key !== undefined) this.seen.add(key);
    state.family.samples.push(sample);
  }

  private addFamily(name: string, byMetadata = false): FamilyState {
    const keep = this.options.keepFamily?.(name) ?? true;
    const kept = keep ? (this.options.strings?.intern(name) ?? name) : name;
    const state: FamilyState = { family: { name: kept, type: 'untyped', samples: [] }, keep, typed: false, sampled: false };
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
  // The sample belongs to the family: its name starts with the family's, so the suffix is told by the length and the end.
  if (family.type === 'histogram' && sample.name.length === family.name.length + 7 && sample.name.endsWith('_bucket')) {
    const le = sample.labels['le'];
    if (le === undefined || parseFloatStrict(le) === undefined)
      throw new TextParseError(lineNo, `histogram bucket ${shortName(sample.name)} needs a numeric "le" label`);
  } else if (family.type === 'summary' && sample.name.length === family.name.length) {
    const q = sample.labels['quantile'];
    if (q === undefined || parseFloatStrict(q) === undefined)
      throw new TextParseError(lineNo, `summary ${shortName(sample.name)} needs a numeric "quantile" label`);
  }
}

/** V8 makes a slice shorter than this a copy (SlicedString::kMinLength). */
const MIN_SLICED_LENGTH = 13;

const HASH = 0x23;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const BRACE_OPEN = 0x7b;
const BRACE_CLOSE = 0x7d;
const COMMA = 0x2c;
const EQUALS = 0x3d;

/** [a-zA-Z0-9_], and `:` too when `colon`: the characters of a label (or metric) name. */
function isNameChar(c: number, colon: boolean): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || (colon && c === 0x3a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** What String.prototype.trim removes (WhiteSpace and LineTerminator); non-ASCII ones are rare enough for a regex. */
function isTrimmedSpace(c: number): boolean {
  if (c < 0x80) return c === SPACE || (c >= TAB && c <= 0x0d);
  return /\s/.test(String.fromCharCode(c));
}

function skipBlanks(line: string, pos: number): number {
  for (let c = line.charCodeAt(pos); c === SPACE || c === TAB; c = line.charCodeAt(++pos));
  return pos;
}

/** The end of the run of characters from `pos` that are neither space nor tab. */
function fieldEnd(line: string, pos: number, end: number): number {
  for (let c = line.charCodeAt(pos); pos < end && c !== SPACE && c !== TAB; c = line.charCodeAt(++pos));
  return pos;
}

/** Line terminators, which a regex's `.` does not match. */
function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

export interface MetadataFields {
  keyword: 'HELP' | 'TYPE';
  name: string;
  /** The HELP text or the type, after the blanks that follow the name ('' when none). */
  rest: string;
}

/**
 * A `#` line's HELP or TYPE fields, or undefined for a plain comment: what
 * `^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$` (or, for a line ending in
 * blanks after the name, `[ \t]*$`) matches, scanned by character code. Every
 * family of every exporter has two such lines each cycle, and the regexes'
 * match arrays and destructuring were the parser's largest garbage (issue 13).
 */
export function metadataFields(line: string): MetadataFields | undefined {
  const end = line.length;
  let c = line.charCodeAt(1);
  if (c !== SPACE && c !== TAB) return undefined;
  let pos = skipBlanks(line, 1);
  let keyword: 'HELP' | 'TYPE';
  if (line.startsWith('HELP', pos)) keyword = 'HELP';
  else if (line.startsWith('TYPE', pos)) keyword = 'TYPE';
  else return undefined;
  pos += 4;
  c = line.charCodeAt(pos);
  if (c !== SPACE && c !== TAB) return undefined;
  pos = skipBlanks(line, pos);
  const nameStart = pos;
  while (pos < end && !isTrimmedSpace(line.charCodeAt(pos))) pos++;
  if (pos === nameStart) return undefined;
  const name = line.slice(nameStart, pos);
  if (pos === end) return { keyword, name, rest: '' };
  c = line.charCodeAt(pos);
  if (c !== SPACE && c !== TAB) return undefined;
  const restStart = skipBlanks(line, pos);
  for (let i = restStart; i < end; i++) if (isLineTerminator(line.charCodeAt(i))) return undefined;
  return { keyword, name, rest: line.slice(restStart) };
}

/**
 * One sample line, scanned by character code: a scrape parses every line of
 * every exporter every cycle, so nothing is allocated here but the name, the
 * label names and values, the value's text and the sample (no per-character
 * strings, regexes, splits or closures). `key` receives the series' key (for
 * duplicates) when asked for: the line's own text up to the value when it is
 * written as exporters write it (labels sorted, no blanks), else that text
 * made from the labels (seriesText); building a key per sample was a third
 * of the parse's garbage (issue 13).
 */
function parseSampleLine(line: string, lineNo: number, key: { value: string } | undefined, strings: StringTable | undefined): Sample {
  let pos = 0;
  while (pos < line.length && isNameChar(line.charCodeAt(pos), true)) pos++;
  if (pos === 0 || isDigit(line.charCodeAt(0))) throw new TextParseError(lineNo, `invalid metric name at start of ${quoteInput(line, 40)}`);
  const name = line.slice(0, pos);
  let labels: Record<string, string> | undefined;
  // Whether the line's text up to the value is the series' key as it stands: no blanks, labels sorted, no trailing comma.
  let canonical = true;
  let previousName = '';
  const afterBlank = skipBlanks(line, pos);
  if (line.charCodeAt(afterBlank) === BRACE_OPEN) {
    if (afterBlank !== pos) canonical = false;
    pos = afterBlank + 1;
    for (;;) {
      const beforeBlanks = pos;
      pos = skipBlanks(line, pos);
      if (pos !== beforeBlanks) canonical = false;
      if (line.charCodeAt(pos) === BRACE_CLOSE) {
        if (labels !== undefined) canonical = false;
        pos++;
        break;
      }
      const start = pos;
      while (pos < line.length && isNameChar(line.charCodeAt(pos), false)) pos++;
      if (pos === start || isDigit(line.charCodeAt(start)))
        throw new TextParseError(lineNo, `invalid label name ${quoteInput(line.slice(start, pos) || line.slice(start, start + 10))} in ${shortName(name)}`);
      const labelName = line.slice(start, pos);
      if (labelName === '__name__' || (labels !== undefined && Object.hasOwn(labels, labelName)))
        throw new TextParseError(lineNo, `duplicate or reserved label name ${shortName(labelName)} in ${shortName(name)}`);
      const equals = skipBlanks(line, pos);
      if (line.charCodeAt(equals) !== EQUALS) throw new TextParseError(lineNo, `expected "=" after label name ${shortName(labelName)} in ${shortName(name)}`);
      pos = skipBlanks(line, equals + 1);
      if (equals !== start + labelName.length || pos !== equals + 1) canonical = false;
      if (line.charCodeAt(pos) !== QUOTE)
        throw new TextParseError(lineNo, `expected '"' to start the value of label ${shortName(labelName)} in ${shortName(name)}`);
      pos++;
      // Whole runs between escapes are sliced, not appended character by
      // character: per-character `+=` leaves a rope of one cons string per
      // character in every label value (~500 bytes of heap per series).
      let value = '';
      let run = pos;
      for (;;) {
        if (pos >= line.length) throw new TextParseError(lineNo, `unterminated value of label ${shortName(labelName)} in ${shortName(name)}`);
        const c = line.charCodeAt(pos);
        if (c === QUOTE) {
          value += line.slice(run, pos);
          pos++;
          break;
        }
        if (c === BACKSLASH) {
          value += line.slice(run, pos);
          const next = line[pos + 1];
          if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === 'n') value += '\n';
          else throw new TextParseError(lineNo, `invalid escape sequence ${quoteInput(`\\${next ?? ''}`)} in value of label ${shortName(labelName)}`);
          pos += 2;
          run = pos;
          continue;
        }
        pos++;
      }
      // A shorter value is a string of its own already (V8 copies slices under 13 characters).
      (labels ??= {})[labelName] = strings !== undefined && value.length >= MIN_SLICED_LENGTH ? strings.intern(value) : value;
      if (labelName < previousName) canonical = false;
      previousName = labelName;
      const afterValue = pos;
      pos = skipBlanks(line, pos);
      if (pos !== afterValue) canonical = false;
      const c = line.charCodeAt(pos);
      if (c === COMMA) {
        pos++;
        continue;
      }
      if (c === BRACE_CLOSE) {
        pos++;
        break;
      }
      throw new TextParseError(lineNo, `expected "," or "}" after label ${shortName(labelName)} in ${shortName(name)}`);
    }
  }
  const seriesEnd = pos;
  if (pos < line.length && line.charCodeAt(pos) !== SPACE && line.charCodeAt(pos) !== TAB)
    throw new TextParseError(lineNo, `expected a space before the value of ${shortName(name)}`);
  // The value and an optional timestamp: the rest trimmed as String.prototype.trim does, split at runs of blanks.
  let end = line.length;
  while (end > pos && isTrimmedSpace(line.charCodeAt(end - 1))) end--;
  while (pos < end && isTrimmedSpace(line.charCodeAt(pos))) pos++;
  if (pos === end) throw new TextParseError(lineNo, `missing value for ${shortName(name)}`);
  const valueEnd = fieldEnd(line, pos, end);
  const valueText = line.slice(pos, valueEnd);
  let timestampText: string | undefined;
  if (valueEnd < end) {
    const tsStart = skipBlanks(line, valueEnd);
    const tsEnd = fieldEnd(line, tsStart, end);
    if (tsEnd < end) {
      const extra = line.slice(skipBlanks(line, tsEnd), end).split(/[ \t]+/);
      throw new TextParseError(lineNo, `unexpected text after the value of ${shortName(name)}: ${quoteInput(extra.join(' '))}`);
    }
    timestampText = line.slice(tsStart, tsEnd);
  }
  const value = parseFloatStrict(valueText);
  if (value === undefined) throw new TextParseError(lineNo, `invalid value ${quoteInput(valueText)} for ${shortName(name)}`);
  const sample: Sample = { name, labels: labels ?? NO_LABELS, value };
  if (timestampText !== undefined) {
    if (!/^-?\d+$/.test(timestampText)) throw new TextParseError(lineNo, `invalid timestamp ${quoteInput(timestampText)} for ${shortName(name)}`);
    sample.timestampMs = Number(timestampText);
  }
  // A canonical line's own text is the key (a slice, not a string built per sample); any other is written out the same way.
  if (key) key.value = labels === undefined ? name : canonical ? line.slice(0, seriesEnd) : seriesText(name, labels);
  return sample;
}

function unescapeHelp(text: string, lineNo: number): string {
  // Almost no HELP text has an escape: then the text is the slice of the line already made.
  let backslash = text.indexOf('\\');
  if (backslash === -1) return text;
  // Runs between escapes are sliced whole (a `+=` per character left a cons string per character).
  let out = '';
  let run = 0;
  while (backslash !== -1) {
    const next = text[backslash + 1];
    if (next !== '\\' && next !== 'n') throw new TextParseError(lineNo, `invalid escape sequence ${quoteInput(`\\${next ?? ''}`)} in HELP text`);
    out += text.slice(run, backslash) + (next === 'n' ? '\n' : '\\');
    run = backslash + 2;
    backslash = text.indexOf('\\', run);
  }
  return out + text.slice(run);
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

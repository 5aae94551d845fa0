/**
 * An exposition (a scrape body, a textfile) parsed as its bytes arrive:
 * split into lines at the byte level, each line checked for UTF-8 and length
 * before it is decoded, then handed to the one text parser (through the
 * OpenMetrics conversion when the body is OpenMetrics). Plain ASCII lines
 * are decoded a window (at most 64 KB of whole lines) at a time and handed
 * on as slices of it; nothing holds more than that window of the input
 * besides what the parser keeps (a slice keeps its window: see own-copy.ts).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type { MetricFamily } from './family.ts';
import { OpenMetricsLines } from './openmetrics.ts';
import { TextParseError, TextParser, type LineSink, type ParseOptions } from './text-parser.ts';

export interface ExpositionReaderOptions extends ParseOptions {
  format?: 'text' | 'openmetrics';
  /** A longer line fails the parse as soon as that many bytes of it arrived. */
  maxLineBytes?: number;
  /** A last line without its newline is an error (as parseText), not a line (as Prometheus takes it). */
  requireFinalNewline?: boolean;
}

export interface Exposition {
  families: MetricFamily[];
  /** Samples exposed, before keepFamily (scrape_samples_scraped). */
  samplesScraped: number;
}

const NEWLINE = 0x0a;
/** Most bytes of whole lines decoded into one string (a body arrives in chunks of about this size). */
const DECODE_WINDOW = 64 * 1024;

export class ExpositionReader {
  private readonly parser: TextParser;
  private readonly openMetrics: OpenMetricsLines | undefined;
  private readonly sink: LineSink;
  private readonly maxLineBytes: number;
  private readonly requireFinalNewline: boolean;
  /** The start of a line whose newline has not arrived yet. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private lineNo = 0;

  constructor(options: ExpositionReaderOptions = {}) {
    const { format = 'text', maxLineBytes = Infinity, requireFinalNewline = false, ...parseOptions } = options;
    this.parser = new TextParser(parseOptions);
    this.openMetrics = format === 'openmetrics' ? new OpenMetricsLines(this.parser) : undefined;
    this.sink = this.openMetrics ?? this.parser;
    this.maxLineBytes = maxLineBytes;
    this.requireFinalNewline = requireFinalNewline;
  }

  write(chunk: Buffer): void {
    let start = 0;
    if (this.pendingBytes > 0) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl === -1) return this.keep(chunk);
      const line = this.completeLine(chunk.subarray(0, nl));
      this.emit(line, 0, line.length);
      start = nl + 1;
    }
    while (start < chunk.length) {
      // The whole lines of the next window, up to the last newline in it.
      let end = chunk.lastIndexOf(NEWLINE, Math.min(start + DECODE_WINDOW, chunk.length) - 1);
      if (end < start) {
        // No newline in a window's length: one long line (or the start of one), its length checked before it is decoded.
        end = chunk.indexOf(NEWLINE, start);
        if (end === -1) break;
        this.checkLength(end - start);
      }
      // Decoded at once, each line a slice of the text: a string decoded per line cost a native call
      // and a copy per line (issue 13). ASCII: a character is a byte, and valid UTF-8.
      if (isAscii(chunk.subarray(start, end))) this.emitLines(chunk.toString('latin1', start, end));
      else {
        for (let nl = chunk.indexOf(NEWLINE, start); start <= end; start = nl + 1, nl = chunk.indexOf(NEWLINE, start)) {
          this.checkLength(nl - start);
          this.emit(chunk, start, nl);
        }
      }
      start = end + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  end(): Exposition {
    if (this.pendingBytes > 0) {
      if (this.requireFinalNewline) throw new TextParseError(this.lineNo + 1, 'unexpected end of input: the last line has no trailing newline');
      const line = this.completeLine(Buffer.alloc(0));
      this.emit(line, 0, line.length);
    }
    this.openMetrics?.end();
    return { families: this.parser.finish(), samplesScraped: this.parser.samplesScraped };
  }

  /** The start of a line whose newline is in a later chunk. */
  private keep(rest: Buffer): void {
    this.checkLength(this.pendingBytes + rest.length);
    this.pending.push(rest);
    this.pendingBytes += rest.length;
  }

  /** The lines of an ASCII text that ends before a newline. */
  private emitLines(text: string): void {
    let from = 0;
    for (let nl = text.indexOf('\n'); ; nl = text.indexOf('\n', from)) {
      const to = nl === -1 ? text.length : nl;
      this.checkLength(to - from);
      this.sink.line(text.slice(from, to), ++this.lineNo, true);
      if (nl === -1) return;
      from = nl + 1;
    }
  }

  private completeLine(tail: Buffer): Buffer {
    if (this.pendingBytes === 0) {
      this.checkLength(tail.length);
      return tail;
    }
    this.checkLength(this.pendingBytes + tail.length);
    const line = Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    return line;
  }

  private checkLength(bytes: number): void {
    if (bytes > this.maxLineBytes)
      throw new TextParseError(this.lineNo + 1, `longer than ${this.maxLineBytes} bytes (the rest of the body is not read)`, 'line_length');
  }

  /** The line in bytes[start, end). */
  private emit(bytes: Buffer, start: number, end: number): void {
    const text = bytes.toString('utf8', start, end);
    // U+FFFD is also a valid character: only then are the bytes checked.
    this.sink.line(text, ++this.lineNo, !text.includes('\uFFFD') || isUtf8(bytes.subarray(start, end)));
  }
}

/** A whole exposition already in memory (a file). */
export function readExposition(bytes: Buffer, options: ExpositionReaderOptions = {}): Exposition {
  const reader = new ExpositionReader(options);
  reader.write(bytes);
  return reader.end();
}

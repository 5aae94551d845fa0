/**
 * logfmt lines on stderr (journald keeps them), quiet by default: only
 * warnings and errors unless the level is lowered.
 */
import { quoteInput } from './quote.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

let globalLevel: LogLevel = 'warn';
let sink: (line: string) => void = (line) => process.stderr.write(line);

export function setLogLevel(level: LogLevel): void {
  globalLevel = level;
}

export function getLogLevel(): LogLevel {
  return globalLevel;
}

/** Redirects log output (tests capture it). Returns the previous sink. */
export function setLogSink(next: (line: string) => void): (line: string) => void {
  const prev = sink;
  sink = next;
  return prev;
}

export function formatLogfmtValue(value: unknown): string {
  let s: string;
  if (value instanceof Error) s = value.message;
  else if (typeof value === 'string') s = value;
  else if (value === undefined) s = '';
  else if (typeof value === 'object' && value !== null) s = JSON.stringify(value);
  else s = String(value);
  return s === '' || /[\s"=\\]/.test(s) || /[^\x20-\x7e]/.test(s) ? quoteInput(s, Infinity) : s;
}

export function createLogger(base: LogFields = {}): Logger {
  const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < RANK[globalLevel]) return;
    const all: LogFields = { ts: new Date().toISOString(), level, msg, ...base, ...fields };
    let line = '';
    for (const [k, v] of Object.entries(all)) {
      if (v === undefined) continue;
      line += (line ? ' ' : '') + `${k}=${formatLogfmtValue(v)}`;
    }
    sink(line + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

export const log = createLogger();

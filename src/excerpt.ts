/**
 * Quoting of untrusted input (a scraped body, a file) in errors and logs: a
 * bounded excerpt, so one 8 MB line never becomes an 8 MB log line, and
 * escaped, so no control or invisible character reaches a terminal or the
 * journal raw.
 */
const DEFAULT_MAX_CHARS = 64;

// JSON.stringify escapes C0 controls, quotes, backslashes and lone surrogates; these it leaves raw.
const UNSAFE = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** `text` cut to `maxChars` characters; a cut says how long the whole was. */
export function cutExcerpt(text: string, maxChars = DEFAULT_MAX_CHARS): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}... (${text.length} characters)` : text;
}

/** `"text"` with JSON escapes (and of every invisible character), cut to `maxChars` characters. */
export function quoteExcerpt(text: string, maxChars = DEFAULT_MAX_CHARS): string {
  const cut = text.length > maxChars;
  const quoted = JSON.stringify(cut ? text.slice(0, maxChars) : text).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return cut ? `${quoted}... (${text.length} characters)` : quoted;
}

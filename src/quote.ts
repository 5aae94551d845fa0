/**
 * Input quoted in an error or a log line (a config value, a scraped body, a
 * file): escaped and bounded, so a hostile value can neither drive the
 * reader's terminal or the journal (control bytes, bidi overrides, invisible
 * characters) nor turn one message into a megabyte line.
 */

/** How much of a value an error quotes. */
export const QUOTE_MAX_CHARS = 100;

// JSON.stringify escapes C0 controls, quotes, backslashes and lone surrogates; these it leaves raw.
// Also every invisible or direction-changing character (soft hyphen, zero-width, bidi marks and overrides, BOM).
const UNSAFE_RE = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** `text` as a JSON string literal, at most `maxChars` of it, with `…` after the quote when cut. */
export function quoteInput(text: string, maxChars = QUOTE_MAX_CHARS): string {
  const cut = text.length > maxChars;
  const quoted = JSON.stringify(cut ? text.slice(0, maxChars) : text).replace(UNSAFE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return cut ? `${quoted}…` : quoted;
}

/** `text` cut to `maxChars` characters, with `…` when cut: for values already known to be printable (names, JSON). */
export function cutInput(text: string, maxChars = QUOTE_MAX_CHARS): string {
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/** A name (file, section, key) as is when it is plain printable ASCII of a sane length, else quoted. */
export function displayName(name: string): string {
  return /^[\x20-\x7e]*$/.test(name) && name.length <= QUOTE_MAX_CHARS * 2 ? name : quoteInput(name);
}

/**
 * Input quoted in an error or a log line: escaped and bounded, so a hostile
 * value can neither drive the reader's terminal (control bytes, bidi
 * overrides) nor turn one message into a megabyte line.
 */

/** How much of a value an error quotes. */
export const QUOTE_MAX_CHARS = 100;

// JSON.stringify escapes C0 controls, quotes, backslashes and lone surrogates; these it leaves raw.
const UNSAFE_RE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` as a JSON string literal, at most `maxChars` of it, with `…` after the quote when cut. */
export function quoteInput(text: string, maxChars = QUOTE_MAX_CHARS): string {
  const cut = text.length > maxChars;
  const quoted = JSON.stringify(cut ? text.slice(0, maxChars) : text).replace(UNSAFE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return cut ? `${quoted}…` : quoted;
}

/** A name (file, section, key) as is when it is plain printable ASCII of a sane length, else quoted. */
export function displayName(name: string): string {
  return /^[\x20-\x7e]*$/.test(name) && name.length <= QUOTE_MAX_CHARS * 2 ? name : quoteInput(name);
}

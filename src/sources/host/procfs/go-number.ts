/**
 * Number parsing with the acceptance rules of Go's strconv, which
 * node_exporter and prometheus/procfs use: what they reject (and so skip or
 * fail on) we reject too.
 */

/** strconv.ParseFloat(s, 64): decimal or exponent form, plus inf/infinity/nan in any case. */
export function parseGoFloat(text: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (!special) return undefined;
  if (special[2]!.toLowerCase() === 'nan') return NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

/** strconv.ParseInt(s, 0, 64): decimal, 0x hex, 0b binary, 0o or leading-0 octal. */
export function parseGoInt(text: string): number | undefined {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[bB]([01]+)|0[oO]?([0-7]+)|([1-9]\d*|0))$/.exec(text);
  if (!m) return undefined;
  const v = m[2] !== undefined ? parseInt(m[2], 16) : m[3] !== undefined ? parseInt(m[3], 2) : m[4] !== undefined ? parseInt(m[4], 8) : Number(m[5]);
  return m[1] === '-' ? -v : v;
}

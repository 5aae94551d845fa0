/**
 * Formats a float exactly as client_golang's text encoder does
 * (strconv.FormatFloat(v, 'g', -1, 64) plus its special cases), so our
 * output is byte-for-byte node_exporter's.
 */
export function formatFloat(v: number): string {
  if (v === 0) return '0'; // also -0, as Go's `f == 0` case
  if (v === 1) return '1';
  if (v === -1) return '-1';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  // Most samples land here: in [1e-4, 1e6) Go's shortest %g and JS's String()
  // print the same digits, so the costlier exponent analysis below is skipped.
  const magnitude = Math.abs(v);
  if (magnitude >= 1e-4 && magnitude < 1e6) return String(v);
  // toExponential() without digits gives the shortest round-trip mantissa,
  // the same digits Go's shortest formatting picks.
  const exp = v.toExponential();
  const e = exp.indexOf('e');
  const exponent = Number(exp.slice(e + 1));
  // Outside [1e-4, 1e6) Go's %g with shortest precision uses the exponent
  // form, with at least two exponent digits.
  const sign = exponent < 0 ? '-' : '+';
  const digits = String(Math.abs(exponent)).padStart(2, '0');
  return `${exp.slice(0, e)}e${sign}${digits}`;
}

/** Parses a float as Prometheus' text format allows (incl. NaN, +Inf, -Inf, Inf). */
export function parseFloatStrict(text: string): number | undefined {
  switch (text) {
    case 'NaN':
    case 'nan':
      return NaN;
    case '+Inf':
    case 'Inf':
    case '+inf':
    case 'inf':
      return Infinity;
    case '-Inf':
    case '-inf':
      return -Infinity;
  }
  // Go's ParseFloat accepts decimal and exponent forms, hex floats and
  // underscores are not produced by exporters; reject anything Number() would
  // silently accept but Go would not (empty, whitespace, 0x, Infinity).
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

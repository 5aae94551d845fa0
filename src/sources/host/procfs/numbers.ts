/** Strict parsers for kernel counter files not covered by sysfs/attr.ts; each throws with the place it was reading. */

/** An unsigned hexadecimal integer without prefix (/proc/net/softnet_stat, nf_conntrack stats). */
export function parseHex(text: string, where: string): number {
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new Error(`${where}: expected a hexadecimal number, got ${JSON.stringify(text.slice(0, 40))}`);
  return Number.parseInt(text, 16);
}

/** Splits a file into its non-empty lines. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

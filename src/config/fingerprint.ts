/** Equal for equal settings (regexes by their source): a reload keeps what runs with an unchanged fingerprint. */
export function configFingerprint(config: unknown): string {
  return JSON.stringify(config, (_k, v: unknown) => (v instanceof RegExp ? v.source : v));
}

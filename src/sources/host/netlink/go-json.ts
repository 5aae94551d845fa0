/**
 * Reads JSON the way Go's encoding/json fills a struct, for the netlink
 * collectors' fixture files (node_exporter's --collector.*.fixtures): keys
 * match field names case-insensitively, absent or null fields are zero,
 * numbers must fit the field's integer type, []byte fields are base64.
 */
export type JsonObject = Record<string, unknown>;

/** JSON.parse with the file named in the error. */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: invalid JSON: ${(err as Error).message}`);
  }
}

export function asObject(value: unknown, where: string): JsonObject {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected a JSON object`);
  return value as JsonObject;
}

export function asArray(value: unknown, where: string): unknown[] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${where}: expected a JSON array`);
  return value;
}

function field(obj: JsonObject, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key];
  return undefined;
}

/** An integer field within [min, max] (Go int/int64/uint32/uint64...). */
export function intField(obj: JsonObject, name: string, where: string, min: number, max: number): number {
  const v = field(obj, name);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new Error(`${where}: cannot read ${JSON.stringify(v)} into integer field ${name}`);
  return v;
}

export function stringField(obj: JsonObject, name: string, where: string): string {
  const v = field(obj, name);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new Error(`${where}: field ${name} must be a string`);
  return v;
}

/** A []byte field (base64 in JSON), e.g. a MAC address. */
export function bytesField(obj: JsonObject, name: string, where: string): Buffer {
  const text = stringField(obj, name, where);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error(`${where}: field ${name} is not base64`);
  return Buffer.from(text, 'base64');
}

export const INT64 = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
export const UINT32 = { min: 0, max: 0xffffffff };
export const UINT64 = { min: 0, max: Number.MAX_SAFE_INTEGER };

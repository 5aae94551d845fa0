/**
 * The box's identity: the `instance` label of everything it pushes, from the
 * hostname (default), /etc/machine-id, a file (e.g. the seed's NODE_NAME) or a
 * literal, plus the static labels of the [labels] section.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { displayName, quoteInput } from '../quote.ts';
import type { KeySpec, SectionReader } from './schema.ts';

const INSTANCE_SOURCES = ['hostname', 'machine-id', 'file', 'literal'] as const;
type InstanceSource = (typeof INSTANCE_SOURCES)[number];

export const IDENTITY_KEYS: readonly KeySpec[] = [
  {
    key: 'instance_from',
    kind: 'string',
    help: `Where the instance label comes from: ${INSTANCE_SOURCES.join(', ')}. Default: literal when instance is set, else hostname.`,
  },
  { key: 'instance', kind: 'label_value', help: 'The instance label, literally (implies instance_from = literal).' },
  { key: 'instance_file', kind: 'path', help: 'File whose first line is the instance label (instance_from = file).' },
  {
    key: 'instance_file_variable',
    kind: 'string',
    help: "Read instance_file as shell-style KEY=value lines and take this variable (e.g. NODE_NAME from the old push loop's environment file).",
  },
  { key: 'machine_id_file', kind: 'path', default: '/etc/machine-id', help: 'The machine-id file (instance_from = machine-id).' },
];

export interface Identity {
  instance: string;
  /** How it was found, for check-config. */
  from: InstanceSource;
}

export function readIdentity(r: SectionReader): Identity {
  const literal = r.string('instance');
  const fromRaw = r.string('instance_from') ?? (literal !== undefined ? 'literal' : 'hostname');
  if (!(INSTANCE_SOURCES as readonly string[]).includes(fromRaw))
    throw r.error('instance_from', `must be one of ${INSTANCE_SOURCES.join(', ')}, got ${quoteInput(fromRaw)}`);
  const from = fromRaw as InstanceSource;
  if (literal !== undefined && from !== 'literal') throw r.error('instance', `a literal instance conflicts with instance_from = ${from}`);
  let instance: string;
  switch (from) {
    case 'hostname':
      instance = os.hostname();
      break;
    case 'literal':
      instance = r.requiredString('instance');
      break;
    case 'machine-id':
      instance = firstLine(r, 'machine_id_file');
      break;
    case 'file': {
      const variable = r.string('instance_file_variable');
      instance = variable ? shellVariable(r, 'instance_file', variable) : firstLine(r, 'instance_file');
      break;
    }
  }
  if (instance === '')
    throw r.error(from === 'file' ? 'instance_file' : from === 'machine-id' ? 'machine_id_file' : 'instance_from', 'gives an empty instance label');
  return { instance, from };
}

function firstLine(r: SectionReader, key: string): string {
  const file = r.requiredString(key);
  try {
    return (readFileSync(file, 'utf8').split('\n')[0] ?? '').trim();
  } catch (err) {
    throw r.error(key, `cannot read ${displayName(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `NAME=value` (optionally `export`ed, optionally quoted) from a shell-style environment file. */
function shellVariable(r: SectionReader, key: string, variable: string): string {
  const file = r.requiredString(key);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw r.error(key, `cannot read ${displayName(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m || m[1] !== variable) continue;
    const raw = m[2]!.trim();
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    return quoted ? quoted[2]! : raw;
  }
  throw r.error('instance_file_variable', `${displayName(file)} sets no variable ${displayName(variable)}`);
}

/** A stable offset in [0, intervalMs) derived from the identity, so a fleet spreads its pushes. */
export function splayOffsetMs(identityKey: string, intervalMs: number): number {
  // FNV-1a: cheap, stable across versions and platforms.
  let h = 0x811c9dc5;
  for (let i = 0; i < identityKey.length; i++) {
    h ^= identityKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % Math.max(1, Math.floor(intervalMs));
}

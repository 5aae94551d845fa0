/**
 * Every key of every section, tried with out-of-range and hostile values:
 * durations, sizes and counts declare a range and refuse what lies outside
 * it (and what is not a finite number at all); whatever any key refuses, the
 * error names the key and quotes the input escaped and bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REMOTE_CONFIG_KEYS } from '../../src/config/remote/section.ts';
import { AGENT_KEYS, configFromText } from '../../src/config/config.ts';
import { EXPORTER_KEYS } from '../../src/sources/exporter.ts';
import { HOST_FIXED_KEYS } from '../../src/sources/host/host-source.ts';
import { SELF_KEYS } from '../../src/sources/self.ts';
import { IDENTITY_KEYS } from '../../src/config/identity.ts';
import { ConfigError, describeRange, parseBytes, parseInteger, type KeySpec, type ValueKind } from '../../src/config/schema.ts';
import { QUOTE_MAX_CHARS } from '../../src/quote.ts';
import { SINK_KINDS } from '../../src/sinks/kinds.ts';
import { hostFlagSpecs } from '../../src/sources/host/machinery/host-flags.ts';
import { parseGoDuration } from '../../src/config/duration.ts';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';

interface SectionUnderTest {
  section: string;
  /** Keys the section needs to get as far as the key under test. */
  base: string;
  keys: readonly KeySpec[];
}

/** The required keys of each sink kind; a new kind with other required keys adds its line. */
const SINK_BASE: Record<string, string> = { listener: 'address = 127.0.0.1:0\n', remote_write: 'url = http://127.0.0.1:1/api/v1/write\n' };

const HOST_OPTION_KEYS: KeySpec[] = hostFlagSpecs(COLLECTORS)
  .filter((f) => f.kind === 'duration' || f.kind === 'int')
  .map((f) => ({
    key: f.name,
    kind: f.kind as ValueKind,
    help: f.help,
    ...(f.min === undefined ? {} : { min: f.min }),
    ...(f.max === undefined ? {} : { max: f.max }),
  }));

const SECTIONS: SectionUnderTest[] = [
  { section: 'agent', base: '', keys: AGENT_KEYS },
  { section: 'identity', base: '', keys: IDENTITY_KEYS },
  { section: 'host', base: '', keys: [...HOST_FIXED_KEYS, ...HOST_OPTION_KEYS] },
  { section: 'self', base: '', keys: SELF_KEYS },
  { section: 'exporter.app', base: 'url = http://127.0.0.1:1/metrics\n', keys: EXPORTER_KEYS },
  { section: 'remote_config', base: 'url = http://127.0.0.1:1/layer.ini\n', keys: REMOTE_CONFIG_KEYS },
  ...SINK_KINDS.map((k) => ({ section: `${k.section}.x`, base: SINK_BASE[k.section] ?? 'url = http://127.0.0.1:1/\n', keys: k.keys })),
];

const RANGED = new Set<ValueKind>(['duration', 'bytes', 'int']);
const MIB = 1 << 20;
/** Far past any quoting bound; a megabyte value gets its own cases (ini takes ~0.1 s to read one). */
const LONG = 64 << 10;
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

/** Values no key may take as a number: not numbers, not finite, far too large, negative, or carrying control bytes. */
const HOSTILE: readonly string[] = [
  '-1',
  '-1s',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  `1${'0'.repeat(400)}`,
  `1${'0'.repeat(400)}s`,
  '9'.repeat(30),
  `${'9'.repeat(30)}ms`,
  '1s\u001b]0;owned\u0007',
  '\u001b[2J\u009b31m',
  '7'.repeat(LONG),
  `\u001b${'a'.repeat(LONG)}`,
];

function parseIn(kind: ValueKind, text: string): number {
  return kind === 'duration' ? parseGoDuration(text) : kind === 'bytes' ? parseBytes(text) : parseInteger(text);
}

/** Just below the minimum and just above the maximum, in the key's base unit (seconds, bytes, count). */
function outOfRange(spec: KeySpec): string[] {
  const unit = spec.kind === 'duration' ? 's' : '';
  const min = parseIn(spec.kind, spec.min!);
  const max = parseIn(spec.kind, spec.max!);
  const below = spec.kind === 'int' ? min - 1 : min / 2;
  const values = [`${max * 2}${unit}`];
  if (spec.kind === 'int' ? below > 0 || !spec.zeroDisables : min > 0 && !spec.zeroDisables) values.push(`${below}${unit}`);
  if (min > 0 && !spec.zeroDisables) values.push('0');
  if (spec.kind === 'duration' && parseGoDuration('30d') > max) values.push('30d');
  return values;
}

function keyName(spec: KeySpec): string {
  return spec.key.endsWith('.') ? `${spec.key}x` : spec.key;
}

function tryLoad(s: SectionUnderTest, key: string, value: string): ConfigError | undefined {
  try {
    configFromText(`[${s.section}]\n${s.base}${key} = ${value}\n`, 'edgepush.ini');
    return undefined;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err;
  }
}

/** The error says where, and quotes at most a bounded, escaped excerpt of the value. */
function assertSafeMessage(err: ConfigError, where: string): void {
  assert.doesNotMatch(err.message, CONTROL_RE, `${where}: raw control byte in ${JSON.stringify(err.message.slice(0, 300))}`);
  for (const run of ['7', 'a'])
    assert.ok(!err.message.includes(run.repeat(QUOTE_MAX_CHARS + 1)), `${where}: more than ${QUOTE_MAX_CHARS} characters of the value quoted`);
  assert.ok(err.message.startsWith('edgepush.ini: ['), `${where}: ${err.message.slice(0, 200)}`);
}

test('every duration, size and count declares a range, in its own unit, shown by check-config --keys', () => {
  for (const s of SECTIONS) {
    for (const spec of s.keys.filter((k) => RANGED.has(k.kind))) {
      const where = `[${s.section}] ${spec.key}`;
      assert.ok(spec.min !== undefined && spec.max !== undefined, `${where} declares no min/max`);
      assert.ok(parseIn(spec.kind, spec.min) <= parseIn(spec.kind, spec.max), `${where}: min above max`);
      assert.match(describeRange(spec) ?? '', new RegExp(`between ${spec.min} and ${spec.max}`));
      if (spec.default !== undefined) assert.equal(tryLoad(s, spec.key, spec.default), undefined, `${where}: its own default is refused`);
    }
  }
});

test('every duration, size and count refuses out-of-range and non-finite values, naming file, section, key and the range', () => {
  let tried = 0;
  for (const s of SECTIONS) {
    for (const spec of s.keys.filter((k) => RANGED.has(k.kind))) {
      for (const value of [...outOfRange(spec), ...HOSTILE]) {
        const where = `[${s.section}] ${spec.key} = ${JSON.stringify(value.slice(0, 40))}`;
        const err = tryLoad(s, spec.key, value);
        assert.ok(err, `${where} was accepted`);
        assert.equal(err.section, s.section, where);
        assert.equal(err.key, spec.key, `${where}: ${err.message.slice(0, 300)}`);
        assertSafeMessage(err, where);
        if (outOfRange(spec).includes(value)) assert.ok(err.message.includes(describeRange(spec)!), `${where}: the range is not named in ${err.message}`);
        tried++;
      }
      if (spec.zeroDisables) assert.equal(tryLoad(s, spec.key, '0'), undefined, `[${s.section}] ${spec.key} = 0 switches it off`);
    }
  }
  assert.ok(tried > 300, `${tried} cases`);
});

test('whatever any key refuses, the error names it and quotes the value escaped and bounded', () => {
  for (const s of SECTIONS) {
    for (const spec of s.keys) {
      const key = keyName(spec);
      for (const value of HOSTILE) {
        const where = `[${s.section}] ${key} = ${JSON.stringify(value.slice(0, 40))}`;
        const err = tryLoad(s, key, value);
        if (err === undefined) {
          assert.ok(!RANGED.has(spec.kind) && spec.kind !== 'bool', `${where} was accepted`);
          continue;
        }
        assertSafeMessage(err, where);
      }
    }
  }
});

test('hostile section and key names are quoted escaped and bounded; a whole-file error has no empty []', () => {
  const cases: Array<[string, RegExp]> = [
    ['[agent]\n\u001b[2Jevil = 1\n', /^edgepush\.ini: \[agent\] "\\u001b\[2Jevil": unknown key/],
    [`[agent]\n${'k'.repeat(MIB)} = 1\n`, /^edgepush\.ini: \[agent\] "k{100}"…: unknown key/],
    [`[agent]\ninterval = ${'k'.repeat(MIB)}\n`, /^edgepush\.ini: \[agent\] interval: invalid duration "k{100}"…/],
    [`[agent]\ninterval = ${'1'.repeat(MIB)}s\n`, /^edgepush\.ini: \[agent\] interval: duration "1{100}"… is too large/],
    [`[exporter.app]\nurl = \u0007${'k'.repeat(MIB)}\n`, /^edgepush\.ini: \[exporter\.app\] url: invalid URL "\\u0007k{99}"…/],
    ['[\u001b[31mred]\nx = 1\n', /^edgepush\.ini: \["\\u001b\[31mred"\]: unknown section/],
    ['[exporter.\u009b1m]\nurl = http://127.0.0.1:1/\n', /^edgepush\.ini: \["exporter\.\\u009b1m"\]: section name "\\u009b1m" may only contain/],
    ['stray = 1\n', /^edgepush\.ini: stray: key outside of any section/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(
      () => configFromText(text, 'edgepush.ini'),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, expected);
        assert.doesNotMatch(err.message, CONTROL_RE);
        assert.ok(!err.message.includes('k'.repeat(QUOTE_MAX_CHARS + 1)));
        assert.ok(!err.message.includes('[]'), err.message);
        return true;
      },
    );
  }
});

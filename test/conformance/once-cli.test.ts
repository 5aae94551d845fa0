/**
 * `edgepush once` takes node_exporter's flags: --help lists every collector and
 * option, every flag of the fixtures README is accepted (the list in
 * e2e-flags.ts is the README's, checked here), and bad usage is a clear error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { COLLECTORS } from '../../src/sources/host/machinery/registry.ts';
import { NODE_EXPORTER_FIXTURES } from '../helpers/fixtures.ts';
import { runCli } from '../helpers/cli.ts';
import { E2E_COLLECTOR_OPTIONS, E2E_COMMON_FLAGS, E2E_DISABLED } from './e2e-flags.ts';

test('once --help lists the path flags, every collector with its default, and every collector option', async () => {
  const help = await runCli(['once', '--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const flag of [
    '--path.procfs=',
    '--path.sysfs=',
    '--path.rootfs=',
    '--path.udev.data=',
    '--[no-]collector.disable-defaults',
    '--collector.textfile.directory=',
  ]) {
    assert.ok(help.stdout.includes(flag), `--help lacks ${flag}`);
  }
  for (const c of COLLECTORS) {
    const line = help.stdout.split('\n').findIndex((l) => l.trim() === `--[no-]collector.${c.name}`);
    assert.ok(line >= 0, `--help lacks --[no-]collector.${c.name}`);
    const description = help.stdout.split('\n')[line + 1] ?? '';
    assert.equal(description.includes('(default: on)'), c.defaultEnabled, `--help shows the wrong default for ${c.name}: ${description}`);
    for (const o of c.options ?? [])
      assert.match(help.stdout, new RegExp(`^  --(\\[no-\\])?${o.name.replaceAll('.', '\\.')}(=|$)`, 'm'), `--help lacks --${o.name}`);
  }
});

test("the e2e flag list is exactly the fixtures README's, and once accepts all of it", async () => {
  const readme = readFileSync(path.join(NODE_EXPORTER_FIXTURES, 'README.md'), 'utf8');
  const listed = [...readme.matchAll(/^ {4}(--.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)).filter((f) => f.startsWith('--') && !f.includes('<'));
  const ours = [...E2E_COMMON_FLAGS, ...E2E_DISABLED.map((n) => `--no-collector.${n}`), ...E2E_COLLECTOR_OPTIONS];
  assert.deepEqual([...ours].sort(), [...listed].sort());
  const help = await runCli(['once', '--help', ...listed]);
  assert.equal(help.code, 0, help.stderr);
});

test('bad usage of once is a clear error with exit code 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--no-such-flag'], /unknown flag --no-such-flag/],
    [['--collector.nope'], /unknown flag --collector\.nope/],
    [['--path.procfs'], /flag --path\.procfs needs a value/],
    [['--collector.diskstats.device-include=('], /--collector\.diskstats\.device-include: invalid regular expression/],
    [['--collector.cpu=maybe'], /expects true or false/],
    [['-v'], /unknown short flag -v/],
    [['collector.cpu'], /unexpected argument "collector\.cpu"/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['once', ...args]);
    assert.equal(r.code, 2, `once ${args.join(' ')} exited ${r.code}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '', `once ${args.join(' ')} printed metrics`);
  }
});

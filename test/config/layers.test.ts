/** Reading INI layers: names a plain object cannot hold are refused, never dropped; whole-file errors read cleanly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configFromText, loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/config/schema.ts';

function refused(text: string, section: string, key: string | undefined, message: RegExp): void {
  assert.throws(
    () => configFromText(text, 'edgepush.ini'),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.section, section, err.message);
      assert.equal(err.key, key, err.message);
      assert.match(err.message, message);
      return true;
    },
    text,
  );
}

test('__proto__, constructor, prototype and hasOwnProperty are refused as section and key names, naming file, section and key', () => {
  for (const name of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty']) {
    refused(`[${name}]\ninterval = 30d\n`, name, undefined, new RegExp(`^edgepush\\.ini: \\[${name}\\]: "${name}" is a reserved name`));
    refused(`[exporter.${name}]\nurl = http://127.0.0.1:1/\n`, `exporter.${name}`, undefined, /is a reserved name and cannot name a section/);
    refused(`[${name}.x]\nurl = http://127.0.0.1:1/\n`, `${name}.x`, undefined, /is a reserved name/);
    refused(`[agent]\n${name} = 1\n`, 'agent', name, new RegExp(`^edgepush\\.ini: \\[agent\\] ${name}: is a reserved name`));
    refused(`[labels]\n"${name}" = x\n`, 'labels', name, /is a reserved name/);
    refused(`[remote_write.rw]\nurl = http://127.0.0.1:1/\n${name}[] = x\n`, 'remote_write.rw', name, /is a reserved name/);
  }
  // Not a reserved name merely because it contains one.
  assert.equal(configFromText('[labels]\nconstructor_id = x\n').labels['constructor_id'], 'x');
});

test('an error about a whole file names the file, without an empty section', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-layers-'));
  const missing = path.join(dir, 'missing.ini');
  assert.throws(
    () => loadConfig({ configFile: missing, defaultsFile: path.join(dir, 'none.ini') }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message, `${missing}: cannot read: ENOENT`);
      return true;
    },
  );
});

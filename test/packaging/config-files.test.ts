import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { runCli } from '../helpers/cli.ts';
import { REPO_ROOT } from '../helpers/fixtures.ts';

const DEFAULTS = path.join(REPO_ROOT, 'packaging', 'defaults.ini');
const EXAMPLE = path.join(REPO_ROOT, 'packaging', 'edgepush.ini');

test('the shipped defaults.ini and example edgepush.ini load', () => {
  const c = loadConfig({ defaultsFile: DEFAULTS, configFile: EXAMPLE });
  assert.deepEqual(c.files, [DEFAULTS, EXAMPLE]);
  assert.equal(c.agent.stateDir, '/var/lib/edgepush');
  assert.equal(c.agent.intervalSeconds, 15);
  assert.equal(c.host.job, 'node');
  assert.deepEqual(c.host.source.options?.get('collector.textfile.directory'), ['/var/lib/edgepush/textfile']);
  assert.deepEqual(c.sinks, []);
});

test('check-config: exit 0 with a summary, exit 1 naming file, section and key', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-check-'));
  const good = path.join(dir, 'good.ini');
  writeFileSync(
    good,
    '[identity]\ninstance = box-9\n[pushgateway.main]\nurl = http://127.0.0.1:9091\npassword = hunter2\nusername = u\n[listener.lan]\naddress = [::1]:9100\nusername = scraper\npassword = swordfish\n',
  );
  const ok = await runCli(['check-config', `--config.file=${good}`, `--config.defaults=${DEFAULTS}`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /configuration OK/);
  assert.match(ok.stdout, /instance: box-9/);
  assert.match(ok.stdout, /sink pushgateway.main: http:\/\/127.0.0.1:9091/);
  assert.match(ok.stdout, /sink listener.lan: serving http:\/\/\[::1\]:9100\/metrics \(basic auth\)/);
  assert.doesNotMatch(ok.stdout, /hunter2|swordfish/);

  const bad = path.join(dir, 'bad.ini');
  writeFileSync(bad, '[exporter.app]\nurl = http://127.0.0.1:9100/metrics\ntimeout = 1 minute\n');
  const ko = await runCli(['check-config', `--config.file=${bad}`, `--config.defaults=${DEFAULTS}`]);
  assert.equal(ko.code, 1);
  assert.match(ko.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: \\[exporter.app\\] timeout: invalid duration`));

  const keys = await runCli(['check-config', '--keys']);
  assert.equal(keys.code, 0);
  assert.match(keys.stdout, /\[pushgateway.<name>\]/);
  assert.match(keys.stdout, /bearer_token_file/);
});

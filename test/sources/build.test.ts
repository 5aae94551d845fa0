import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFromText } from '../../src/config/config.ts';
import { buildSources } from '../../src/sources/build.ts';
import { SelfMetrics } from '../../src/self-metrics.ts';

test('a reload keeps a running exporter whose settings are unchanged, and rebuilds the others', async () => {
  const self = new SelfMetrics();
  const text = (bUrl: string): string => `[identity]\ninstance = box\n[exporter.a]\nurl = http://127.0.0.1:9100/metrics\n[exporter.b]\nurl = ${bUrl}\n`;
  const first = buildSources(configFromText(text('http://127.0.0.1:9200/metrics')), self);
  const byId = (sources: readonly { id: string }[], id: string): unknown => sources.find((s) => s.id === id);
  const same = buildSources(configFromText(text('http://127.0.0.1:9200/metrics')), self, first);
  assert.equal(byId(same, 'exporter.a'), byId(first, 'exporter.a'), 'unchanged exporter kept');
  assert.equal(byId(same, 'exporter.b'), byId(first, 'exporter.b'));
  const changed = buildSources(configFromText(text('http://127.0.0.1:9300/metrics')), self, same);
  assert.equal(byId(changed, 'exporter.a'), byId(first, 'exporter.a'));
  assert.notEqual(byId(changed, 'exporter.b'), byId(first, 'exporter.b'), 'changed url: rebuilt');
  assert.notEqual(byId(changed, 'host'), byId(same, 'host'), 'the host source is rebuilt: its settings hold sets the fingerprint cannot see');
  for (const s of new Set([...first, ...same, ...changed])) await s.close?.();
});

test("the host job carries the agent's process_* as node_exporter's scrape does (the self job keeps them too), and no edgepush_*", async () => {
  const self = new SelfMetrics();
  const sources = buildSources(configFromText('[identity]\ninstance = box\n'), self);
  const names = async (id: string): Promise<Set<string>> =>
    new Set((await sources.find((s) => s.id === id)!.collect(AbortSignal.timeout(60_000))).families.map((f) => f.name));
  const host = await names('host');
  const own = await names('self');
  const panels = [
    'process_cpu_seconds_total',
    'process_max_fds',
    'process_open_fds',
    'process_resident_memory_bytes',
    'process_start_time_seconds',
    'process_virtual_memory_bytes',
    'process_virtual_memory_max_bytes',
  ];
  for (const name of panels) {
    assert.ok(host.has(name), `${name} missing from the host job`);
    assert.ok(own.has(name), `${name} missing from the self job`);
  }
  assert.ok(host.has('node_load1'));
  assert.deepEqual(
    [...host].filter((n) => n.startsWith('edgepush_')),
    [],
  );
  for (const s of sources) await s.close?.();
});

/**
 * The model's per-sample cost, what every scrape and every push pays: the
 * text parser (through the exposition reader, as a scrape body arrives) and
 * the text encoder, on node_exporter's own fixture output. Bytes allocated
 * per sample (the heap's growth over one call, with a young generation too
 * large to be collected during it: a figure that does not move with the
 * machine's load) and time per call (median of rounds).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readExposition } from '../../src/model/exposition-reader.ts';
import { applyTargetLabels } from '../../src/model/target-labels.ts';
import { encodeText } from '../../src/model/text-encoder.ts';
import { REPO_ROOT } from '../lib/peers.ts';
import { median, table } from './stats.ts';

if (process.env['EDGEPUSH_BENCH_MODEL'] !== '1') {
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=128', '--min-semi-space-size=128', fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, EDGEPUSH_BENCH_MODEL: '1' },
  });
  process.exit(r.status ?? 1);
}

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/node_exporter/collector/fixtures/e2e-output.txt');
const body = readFileSync(FIXTURE);
const gc = (globalThis as { gc?: () => void }).gc!;
const families = readExposition(body).families;
const samples = families.reduce((n, f) => n + f.samples.length, 0);
const target = { job: 'node', instance: 'box' };

/** Least heap growth over one call, of a few after warm-up (what the call allocates, or keeps). */
function bytesPerCall(call: () => unknown): number {
  const growth: number[] = [];
  let kept: unknown;
  for (let i = 0; i < 12; i++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    kept = call();
    growth.push(process.memoryUsage().heapUsed - before);
  }
  void kept;
  return Math.min(...growth.slice(4));
}

function msPerCall(call: () => unknown): number {
  const rounds: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) call();
    rounds.push((performance.now() - t0) / 10);
  }
  return median(rounds);
}

const cases: Array<[string, () => unknown]> = [
  ['parse (exposition reader + text parser)', () => readExposition(body)],
  ['encode (text encoder)', () => encodeText(families)],
  ['target labels added (exporter labels)', () => applyTargetLabels(families, target, true)],
];
console.log(`${path.relative(REPO_ROOT, FIXTURE)}: ${samples} samples, ${families.length} families, ${body.length} bytes`);
table([
  ['', 'bytes allocated / sample', 'time / call', 'time / sample'],
  ...cases.map(([name, call]) => {
    const bytes = bytesPerCall(call);
    const ms = msPerCall(call);
    return [name, (bytes / samples).toFixed(0), `${ms.toFixed(2)} ms`, `${((ms * 1000) / samples).toFixed(2)} µs`];
  }),
]);

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, PushReport } from '../../src/model/batch.ts';
import type { Sink } from '../../src/sinks/sink.ts';
import { SinkRunner } from '../../src/sinks/sink-runner.ts';
import { SelfMetrics } from '../../src/self-metrics.ts';

/** A sink whose pushes finish when the test says so. */
class GatedSink implements Sink {
  readonly name: string;
  readonly coalesce: boolean;
  readonly pushed: number[] = [];
  private gates: Array<() => void> = [];
  constructor(name: string, coalesce: boolean) {
    this.name = name;
    this.coalesce = coalesce;
  }
  push(batch: Batch): Promise<PushReport> {
    return new Promise((resolve) => {
      this.gates.push(() => {
        this.pushed.push(batch.cycle);
        resolve({ ok: true, bytesSent: 10 });
      });
    });
  }
  release(): void {
    this.gates.shift()?.();
  }
  async close(): Promise<void> {}
}

const batch = (cycle: number): Batch => ({ cycle, identity: { instance: 'x' }, sources: [], deadlineMs: Date.now() + 1000 });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a coalescing sink busy for several cycles pushes only the newest waiting batch, and counts the others', async () => {
  const metrics = new SelfMetrics();
  const sink = new GatedSink('pushgateway.slow', true);
  const runner = new SinkRunner(sink, '', metrics, new AbortController().signal);
  const first = runner.submit(batch(1));
  const second = runner.submit(batch(2));
  const third = runner.submit(batch(3));
  assert.match((await second).error ?? '', /superseded/);
  sink.release();
  assert.equal((await first).ok, true);
  await tick();
  sink.release();
  assert.equal((await third).ok, true);
  await runner.idle();
  assert.deepEqual(sink.pushed, [1, 3]);
  const dropped = (await metrics.registry.getSingleMetric('edgepush_sink_batches_dropped_total')!.get()).values[0]?.value;
  assert.equal(dropped, 1);
  const bytes = (await metrics.registry.getSingleMetric('edgepush_sink_sent_bytes_total')!.get()).values[0]?.value;
  assert.equal(bytes, 20);
});

test('a queueing sink pushes every waiting batch in order', async () => {
  const sink = new GatedSink('remote_write.q', false);
  const runner = new SinkRunner(sink, '', new SelfMetrics(), new AbortController().signal);
  const done = [1, 2, 3].map((c) => runner.submit(batch(c)));
  for (let i = 0; i < 3; i++) {
    await tick();
    sink.release();
  }
  await Promise.all(done);
  assert.deepEqual(sink.pushed, [1, 2, 3]);
});

test('a sink whose push throws is reported failed, and the runner goes on', async () => {
  const sink: Sink = { name: 'x.bad', coalesce: true, push: () => Promise.reject(new Error('boom')), close: async () => {} };
  const runner = new SinkRunner(sink, '', new SelfMetrics(), new AbortController().signal);
  assert.deepEqual(await runner.submit(batch(1)), { ok: false, bytesSent: 0, error: 'boom' });
  assert.equal((await runner.submit(batch(2))).ok, false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alreadyComplete, type Batch, type IncomingBatch, type PushReport, type SourceResult } from '../../src/model/batch.ts';
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

const batch = (cycle: number): IncomingBatch => alreadyComplete({ cycle, identity: { instance: 'x' }, sources: [], deadlineMs: Date.now() + 1000 });
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

/** A cycle's batch whose two sources the test collects one at a time. */
function collecting(): { batch: IncomingBatch; collect: (i: number) => void } {
  const resolvers: Array<(r: SourceResult) => void> = [];
  const sources = [0, 1].map((i) => new Promise<SourceResult>((resolve) => (resolvers[i] = resolve)));
  const head = { cycle: 1, identity: { instance: 'x' }, deadlineMs: Date.now() + 1000 };
  const complete = Promise.all(sources).then((results): Batch => ({ ...head, sources: results }));
  const result = (i: number): SourceResult => ({ source: `s${i}`, job: `j${i}`, up: true, families: [], timestampMs: 0 });
  return { batch: { ...head, sources, complete }, collect: (i) => resolvers[i]!(result(i)) };
}

test('a sink that pushes as sources are collected gets each source before the slowest is in', async () => {
  const seen: string[] = [];
  const sink: Sink = {
    name: 'pushgateway.early',
    coalesce: true,
    push: () => Promise.reject(new Error('push() is for complete batches')),
    async pushAsCollected(b) {
      await Promise.all(b.sources.map(async (s) => seen.push((await s).source)));
      return { ok: true, bytesSent: 0 };
    },
    close: async () => {},
  };
  const runner = new SinkRunner(sink, '', new SelfMetrics(), new AbortController().signal);
  const { batch: incoming, collect } = collecting();
  const report = runner.submit(incoming);
  collect(1);
  await tick();
  assert.deepEqual(seen, ['s1'], 'the source collected first is pushed while the other is still collecting');
  collect(0);
  assert.equal((await report).ok, true);
  assert.deepEqual(seen, ['s1', 's0']);
});

test('a sink that needs the whole batch gets it only once every source is collected', async () => {
  const pushed: string[][] = [];
  const sink: Sink = {
    name: 'remote_write.whole',
    coalesce: false,
    push: async (b) => {
      pushed.push(b.sources.map((s) => s.source));
      return { ok: true, bytesSent: 0 };
    },
    close: async () => {},
  };
  const runner = new SinkRunner(sink, '', new SelfMetrics(), new AbortController().signal);
  const { batch: incoming, collect } = collecting();
  const report = runner.submit(incoming);
  collect(1);
  await tick();
  assert.deepEqual(pushed, [], 'nothing pushed before the batch is complete');
  collect(0);
  assert.equal((await report).ok, true);
  assert.deepEqual(pushed, [['s0', 's1']], 'the whole batch, in the configured order');
});

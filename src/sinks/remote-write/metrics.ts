/**
 * edgepush_remote_write_* self metrics, read from each sink's stats when the
 * registry is collected (the queue and sender keep plain counters; this is the
 * only place that knows about prom-client).
 */
import { Counter, Gauge } from '../../prom.ts';
import type { Registry } from 'prom-client';
import type { RemoteWriteStats } from './remote-write-sink.ts';

type StatsSource = () => RemoteWriteStats;

const trackedByRegistry = new WeakMap<Registry, Map<string, StatsSource>>();

/** Makes `registry` report `name`'s stats until `untrack` is called; metrics are registered once per registry. */
export function trackRemoteWrite(registry: Registry, name: string, stats: StatsSource): () => void {
  let tracked = trackedByRegistry.get(registry);
  if (!tracked) {
    tracked = new Map();
    trackedByRegistry.set(registry, tracked);
    register(registry, tracked);
  }
  tracked.set(name, stats);
  return () => tracked.delete(name);
}

function register(registry: Registry, tracked: Map<string, StatsSource>): void {
  const each = (fn: (sink: string, s: RemoteWriteStats) => void): void => {
    for (const [sink, stats] of tracked) fn(sink, stats());
  };
  const gauge = (name: string, help: string, read: (s: RemoteWriteStats, now: number) => number | undefined): void => {
    new Gauge({
      name,
      help,
      labelNames: ['sink'],
      registers: [registry],
      collect() {
        this.reset();
        const now = Date.now();
        each((sink, s) => {
          const v = read(s, now);
          if (v !== undefined) this.set({ sink }, v);
        });
      },
    });
  };
  // Counters are re-derived from the sink's own totals at each collection.
  const counter = (name: string, help: string, labelName: string | undefined, read: (s: RemoteWriteStats) => Record<string, number>): void => {
    new Counter({
      name,
      help,
      labelNames: labelName ? ['sink', labelName] : ['sink'],
      registers: [registry],
      collect() {
        this.reset();
        each((sink, s) => {
          for (const [k, v] of Object.entries(read(s))) this.inc(labelName ? { sink, [labelName]: k } : { sink }, v);
        });
      },
    });
  };
  gauge('edgepush_remote_write_queue_bytes', 'Size of the remote-write disk queue files.', (s) => s.queue.diskBytes);
  gauge('edgepush_remote_write_queue_samples', 'Samples waiting in the remote-write queue, on disk or in memory.', (s) => s.queue.pendingSamples);
  gauge('edgepush_remote_write_queue_blocks', 'Blocks on disk and cycles in memory waiting in the remote-write queue.', (s) => s.queue.pendingBlocks);
  gauge('edgepush_remote_write_queue_oldest_age_seconds', 'Age of the oldest block waiting in the remote-write disk queue (0 when empty).', (s, now) =>
    s.queue.oldestCreatedMs === undefined ? 0 : Math.max(0, (now - s.queue.oldestCreatedMs) / 1000),
  );
  gauge('edgepush_remote_write_last_success_timestamp_seconds', 'When the receiver last accepted a request.', (s) =>
    s.sender.lastSuccessMs === undefined ? undefined : s.sender.lastSuccessMs / 1000,
  );
  counter(
    'edgepush_remote_write_requests_total',
    'Remote-write requests by result: success, retried (5xx, 429, network), rejected (other 4xx, dropped).',
    'result',
    (s) => ({
      success: s.sender.requests.ok,
      retried: s.sender.requests.retry,
      rejected: s.sender.requests.reject,
    }),
  );
  counter('edgepush_remote_write_sent_samples_total', 'Samples the receiver accepted.', undefined, (s) => ({ '': s.sender.samplesSent }));
  counter('edgepush_remote_write_retried_samples_total', 'Samples in requests that failed and were sent again.', undefined, (s) => ({
    '': s.sender.samplesRetried,
  }));
  counter(
    'edgepush_remote_write_dropped_samples_total',
    'Samples given up on, by reason: rejected (4xx), queue_full, too_old, corrupt, disk_full (filesystem full before queue_max_size).',
    'reason',
    (s) => ({
      rejected: s.sender.samplesRejected,
      queue_full: s.queue.dropped.size.samples,
      too_old: s.queue.dropped.age.samples,
      corrupt: s.queue.dropped.corrupt.samples,
      disk_full: s.queue.dropped.disk_full.samples,
    }),
  );
  gauge('edgepush_remote_write_queue_ok', '1 when the last cycle was queued; 0 while the queue cannot be opened or appended to (cycles are lost).', (s) =>
    s.queueOk ? 1 : 0,
  );
  counter(
    'edgepush_remote_write_queue_open_failures_total',
    'Failed attempts to open the disk queue (held by another process, directory unwritable, disk full); retried every cycle.',
    undefined,
    (s) => ({ '': s.queueOpenFailures }),
  );
}

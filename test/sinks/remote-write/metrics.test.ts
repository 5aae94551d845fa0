import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { trackRemoteWrite } from '../../../src/sinks/remote-write/metrics.ts';
import type { RemoteWriteStats } from '../../../src/sinks/remote-write/remote-write-sink.ts';

function stats(over: { pending?: number; sent?: number; queueOk?: boolean } = {}): RemoteWriteStats {
  const zero = { blocks: 0, samples: 0, bytes: 0 };
  return {
    queue: {
      diskBytes: 4096,
      pendingBytes: 1000,
      pendingBlocks: 2,
      pendingSamples: over.pending ?? 50,
      oldestCreatedMs: Date.now() - 30_000,
      dropped: { size: { blocks: 1, samples: 7, bytes: 100 }, age: zero, corrupt: zero, disk_full: { blocks: 2, samples: 11, bytes: 300 } },
      recoveredTruncatedBytes: 0,
      diskFull: true,
    },
    sender: {
      requests: { ok: 3, retry: 2, reject: 1 },
      samplesSent: over.sent ?? 300,
      bytesSent: 4000,
      samplesRetried: 20,
      samplesRejected: 5,
      lastSuccessMs: 1_700_000_000_000,
      consecutiveFailures: 0,
      lastError: undefined,
    },
    queueOk: over.queueOk ?? true,
    queueOpenFailures: over.queueOk === false ? 4 : 0,
  };
}

test('self metrics report each remote-write sink by name, read at collection time', async () => {
  const registry = new Registry();
  let current = stats();
  const untrackA = trackRemoteWrite(registry, 'remote_write.a', () => current);
  trackRemoteWrite(registry, 'remote_write.b', () => stats({ pending: 0, sent: 9, queueOk: false }));
  let text = await registry.metrics();
  for (const line of [
    'edgepush_remote_write_queue_bytes{sink="remote_write.a"} 4096',
    'edgepush_remote_write_queue_samples{sink="remote_write.a"} 50',
    'edgepush_remote_write_queue_samples{sink="remote_write.b"} 0',
    'edgepush_remote_write_requests_total{sink="remote_write.a",result="retried"} 2',
    'edgepush_remote_write_requests_total{sink="remote_write.a",result="rejected"} 1',
    'edgepush_remote_write_sent_samples_total{sink="remote_write.a"} 300',
    'edgepush_remote_write_sent_samples_total{sink="remote_write.b"} 9',
    'edgepush_remote_write_retried_samples_total{sink="remote_write.a"} 20',
    'edgepush_remote_write_dropped_samples_total{sink="remote_write.a",reason="queue_full"} 7',
    'edgepush_remote_write_dropped_samples_total{sink="remote_write.a",reason="rejected"} 5',
    'edgepush_remote_write_last_success_timestamp_seconds{sink="remote_write.a"} 1700000000',
    'edgepush_remote_write_dropped_samples_total{sink="remote_write.a",reason="disk_full"} 11',
    'edgepush_remote_write_queue_ok{sink="remote_write.a"} 1',
    'edgepush_remote_write_queue_ok{sink="remote_write.b"} 0',
    'edgepush_remote_write_queue_open_failures_total{sink="remote_write.b"} 4',
  ]) {
    assert.ok(text.includes(line), `missing ${line} in\n${text}`);
  }
  assert.match(text, /# TYPE edgepush_remote_write_sent_samples_total counter/);
  const age = Number(/edgepush_remote_write_queue_oldest_age_seconds\{sink="remote_write.a"\} (\S+)/.exec(text)![1]);
  assert.ok(age >= 30 && age < 40, `age ${age}`);
  current = stats({ sent: 301 });
  assert.ok((await registry.metrics()).includes('edgepush_remote_write_sent_samples_total{sink="remote_write.a"} 301'));
  untrackA();
  text = await registry.metrics();
  assert.ok(!text.includes('sink="remote_write.a"'));
  assert.ok(text.includes('sink="remote_write.b"'));
});

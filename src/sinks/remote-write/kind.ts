/**
 * `[remote_write.<name>]` sections: their keys, how one becomes the sink's
 * config, and the sink they create.
 */
import type { KeySpec, SectionReader } from '../../config/schema.ts';
import { quoteInput } from '../../quote.ts';
import { HTTP_CLIENT_KEYS, readHttpClientConfig } from '../../http/client.ts';
import type { SinkKind } from '../sink.ts';
import { PROTOCOL_HEADERS } from './client.ts';
import { RemoteWriteSink, type RemoteWriteConfig } from './remote-write-sink.ts';

const KEYS: readonly KeySpec[] = [
  {
    key: 'url',
    kind: 'url',
    connection: true,
    help: 'Remote-write endpoint, e.g. http://prometheus:9090/api/v1/write or http://victoria:8428/api/v1/write. Required.',
  },
  { key: 'headers', kind: 'string', connection: true, help: 'Extra HTTP header as "Name: value"; repeat as headers[] = ... (e.g. X-Scope-OrgID for Mimir).' },
  { key: 'queue_dir', kind: 'path', help: "Directory of this URL's disk queue (default: <state_dir>/remote-write/<name>)." },
  {
    key: 'queue_max_size',
    kind: 'bytes',
    default: '256MiB',
    min: '1MiB',
    max: '100GiB',
    help: 'Bound on the disk queue; the oldest data is dropped first (and counted) beyond it.',
  },
  {
    key: 'queue_max_age',
    kind: 'duration',
    default: '7d',
    min: '1m',
    max: '1y',
    zeroDisables: true,
    help: 'Data older than this is dropped (and counted) instead of sent; 0 keeps it until the size bound drops it.',
  },
  {
    key: 'queue_flush_interval',
    kind: 'duration',
    default: '5m',
    min: '1s',
    max: '1h',
    zeroDisables: true,
    help: 'How long unsent cycles wait in memory before they are written to the queue together (fewer, smaller flash writes); a crash or power cut loses at most this much (plus one cycle) of what was not sent yet. 0 writes every cycle at once.',
  },
  { key: 'max_samples_per_send', kind: 'int', default: '2000', min: '1', max: '100000', help: 'Most samples in one request.' },
  { key: 'max_bytes_per_send', kind: 'bytes', default: '4MiB', min: '64KiB', max: '32MiB', help: 'Most bytes of uncompressed protobuf in one request.' },
  {
    key: 'min_backoff',
    kind: 'duration',
    default: '30ms',
    min: '10ms',
    max: '1m',
    help: 'First retry delay after a 5xx, 429 or network error; doubled each retry, with jitter.',
  },
  { key: 'max_backoff', kind: 'duration', default: '5s', min: '10ms', max: '10m', help: 'Longest retry delay from backoff.' },
  { key: 'max_retry_after', kind: 'duration', default: '5m', min: '1s', max: '1h', help: 'Longest Retry-After honoured.' },
  {
    key: 'max_samples_per_second',
    kind: 'int',
    default: '50000',
    min: '100',
    max: '10000000',
    zeroDisables: true,
    help: 'Send-rate bound, so a backlog drains without flooding the receiver; 0 means unbounded.',
  },
  {
    key: 'drain_start_rate',
    kind: 'int',
    min: '1',
    max: '10000000',
    zeroDisables: true,
    help: 'Samples/s a backlog drains at right after a failure, doubled per quick answer up to max_samples_per_second, the step the rate grows by once it has backed off, and its floor when the box queues more than that per second (default: a hundredth of max_samples_per_second); 0 turns the adaptation off (max_samples_per_second at once).',
  },
  ...HTTP_CLIENT_KEYS.map((k) => (k.key === 'timeout' ? { ...k, default: '30s' } : k)),
];

function readHeaders(r: SectionReader): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of r.list('headers') ?? []) {
    const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*:\s*(.*)$/.exec(line.trim());
    if (!m) throw r.error('headers', `expected "Name: value", got ${quoteInput(line)}`);
    const name = m[1]!.toLowerCase();
    if (name in PROTOCOL_HEADERS || name === 'authorization' || name === 'content-length' || name === 'host') {
      throw r.error('headers', `${m[1]} is set by edgepush (use username/password or bearer_token for authorization)`);
    }
    headers[m[1]!] = m[2]!;
  }
  return headers;
}

export const remoteWriteKind: SinkKind<RemoteWriteConfig> = {
  section: 'remote_write',
  keys: KEYS,
  parse(r: SectionReader): RemoteWriteConfig {
    const url = r.url('url');
    if (!url) throw r.error('url', 'is required');
    const minBackoffMs = r.duration('min_backoff')! * 1000;
    const maxBackoffMs = r.duration('max_backoff')! * 1000;
    if (maxBackoffMs < minBackoffMs) throw r.error('max_backoff', 'must not be shorter than min_backoff');
    const maxSamples = r.int('max_samples_per_send')!;
    const queueDir = r.string('queue_dir');
    const maxSamplesPerSecond = r.int('max_samples_per_second')!;
    const drainStartRate = r.int('drain_start_rate');
    if (drainStartRate !== undefined && drainStartRate > 0 && maxSamplesPerSecond > 0 && drainStartRate > maxSamplesPerSecond)
      throw r.error('drain_start_rate', `must not be above max_samples_per_second (${maxSamplesPerSecond})`);
    return {
      url: url.href,
      headers: readHeaders(r),
      ...(queueDir ? { queueDir } : {}),
      queueMaxBytes: r.bytes('queue_max_size')!,
      queueMaxAgeMs: r.duration('queue_max_age')! * 1000,
      queueFlushIntervalMs: r.duration('queue_flush_interval')! * 1000,
      maxSamplesPerSend: maxSamples,
      maxBytesPerSend: r.bytes('max_bytes_per_send')!,
      backoff: { minMs: minBackoffMs, maxMs: maxBackoffMs },
      maxRetryAfterMs: r.duration('max_retry_after')! * 1000,
      maxSamplesPerSecond,
      ...(drainStartRate !== undefined ? { drainStartRate } : {}),
      http: readHttpClientConfig(r, 30),
    };
  },
  create: (name, config, ctx) => new RemoteWriteSink(name, config, ctx),
  describe: (config) => config.url,
};

/**
 * A stand-alone process that runs one RemoteWriteSink the way the agent does:
 * every `intervalMs` a cycle of `series` gauges `rw_drill{series="<i>"}` whose
 * value is the cycle number, timestamped at collection. After a cycle is
 * queued it prints `queued <cycle> <timestampMs>`, and `flushed <cycle>` when
 * that push wrote the queue's unsent cycles to disk, so a test that kill -9s
 * it knows exactly which samples must survive (all queued ones with the
 * default queue_flush_interval of 0 here). SIGTERM closes the sink and
 * prints `stats <json>`.
 *
 * Usage: node remote-write-driver.ts '<json options>'
 */
import { Registry } from 'prom-client';
import { createLogger, setLogLevel } from '../../src/log.ts';
import type { MetricFamily } from '../../src/model/family.ts';
import { RemoteWriteSink, type RemoteWriteConfig } from '../../src/sinks/remote-write/remote-write-sink.ts';

interface DriverOptions {
  url: string;
  stateDir: string;
  intervalMs: number;
  series: number;
  /** Stop after this many cycles (then wait for SIGTERM). */
  cycles?: number;
  /** Sources `a` and `b` each with the series; `b` disappears after this cycle. */
  dropSourceBAfter?: number;
  config?: Partial<RemoteWriteConfig>;
}

const opts = JSON.parse(process.argv[2]!) as DriverOptions;
setLogLevel('info');
const config: RemoteWriteConfig = {
  url: opts.url,
  headers: {},
  queueMaxBytes: 64 << 20,
  queueMaxAgeMs: 0,
  maxSamplesPerSend: 2000,
  maxBytesPerSend: 4 << 20,
  backoff: { minMs: 20, maxMs: 200 },
  maxRetryAfterMs: 1000,
  maxSamplesPerSecond: 0,
  queueFlushIntervalMs: 0,
  http: { timeoutSeconds: 2, tlsInsecureSkipVerify: false },
  ...opts.config,
};
const sink = new RemoteWriteSink('remote_write.drill', config, { log: createLogger(), registry: new Registry(), stateDir: opts.stateDir });

function families(metric: string, cycle: number): MetricFamily[] {
  return [
    {
      name: metric,
      type: 'gauge',
      help: 'drill',
      samples: Array.from({ length: opts.series }, (_, i) => ({ name: metric, labels: { series: String(i) }, value: cycle })),
    },
  ];
}

let cycle = 0;
let stopping = false;
const timer = setInterval(async () => {
  if (stopping) return;
  cycle++;
  if (opts.cycles !== undefined && cycle > opts.cycles) return;
  const ts = Date.now();
  const sources = [{ source: 'a', job: 'drill_a', timestampMs: ts, families: families('rw_drill', cycle) }];
  if (opts.dropSourceBAfter !== undefined && cycle <= opts.dropSourceBAfter)
    sources.push({ source: 'b', job: 'drill_b', timestampMs: ts, families: families('rw_drill_b', cycle) });
  const diskBytes = sink.stats().queue.diskBytes;
  const report = await sink.push({ identity: { instance: 'driver' }, sources });
  if (report.ok) process.stdout.write(`queued ${cycle} ${ts}\n${sink.stats().queue.diskBytes > diskBytes ? `flushed ${cycle}\n` : ''}`);
  else process.stdout.write(`failed ${cycle} ${report.error}\n`);
}, opts.intervalMs);

process.on('SIGTERM', async () => {
  stopping = true;
  clearInterval(timer);
  await sink.close(Date.now() + 2000);
  process.stdout.write(`stats ${JSON.stringify(sink.stats())}\n`);
  process.exit(0);
});
process.stdout.write('ready\n');

/**
 * What each simulated box exposes: the host collection recorded once from a
 * live machine (`host-recording.prom`, `edgepush once`), replayed with values
 * that move per box and per cycle, and an application exporter of 1,000
 * series. Both go through the project's parser, model and encoder, so the
 * agent scrapes exactly the kind of text it scrapes on a real box.
 */
import { readFileSync } from 'node:fs';
import type { MetricFamily, Sample } from '../../src/model/family.ts';
import { encodeText } from '../../src/model/text-encoder.ts';
import { parseText } from '../../src/model/text-parser.ts';

const RECORDING = new URL('./host-recording.prom', import.meta.url);

let recorded: MetricFamily[] | undefined;

function recording(): MetricFamily[] {
  return (recorded ??= parseText(readFileSync(RECORDING, 'utf8')));
}

/** A small deterministic spread per box, so boxes differ but a run is repeatable. */
function boxFactor(box: number): number {
  return 1 + ((box * 2654435761) % 1000) / 2000;
}

/**
 * Counters grow with the cycle (so rate() is sane and never resets), gauges
 * wobble around the recorded value; histograms and summaries keep their
 * recorded shape (moving their buckets consistently buys the drill nothing).
 */
function moved(family: MetricFamily, box: number, cycle: number): Sample[] {
  const f = boxFactor(box);
  if (family.type === 'histogram' || family.type === 'summary') return family.samples;
  return family.samples.map((s, i) => {
    const value = family.type === 'counter' ? s.value * f + cycle * (1 + (i % 7)) * f : s.value * (f + 0.05 * Math.sin(cycle + i));
    return { ...s, value, labels: s.name === 'node_uname_info' ? { ...s.labels, nodename: `box-${box}` } : s.labels };
  });
}

/** The recorded host collection as box `box` would expose it at `cycle`. */
export function hostBody(box: number, cycle: number): string {
  return encodeText(recording().map((family) => ({ ...family, samples: moved(family, box, cycle) })));
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const share = (i: number, n: number): number => (i + 1) / (n + 1);

/** An application's exporter: 1,000 series in counters, gauges and a histogram, moving per box and cycle. */
function appFamilies(box: number, cycle: number): MetricFamily[] {
  const f = boxFactor(box);
  const grow = (i: number): number => Math.floor(cycle * (1 + (i % 13)) * f);
  const requests: Sample[] = [];
  for (let r = 0; r < 40; r++) {
    for (const method of ['GET', 'POST']) {
      for (const code of ['200', '404', '500'])
        requests.push({ name: 'app_http_requests_total', labels: { route: `/api/r${r}`, method, code }, value: grow(requests.length) });
    }
  }
  const durations: Sample[] = [];
  for (let r = 0; r < 20; r++) {
    const route = `/api/r${r}`;
    const count = grow(r) + 10;
    BUCKETS.forEach((le, i) =>
      durations.push({
        name: 'app_http_request_duration_seconds_bucket',
        labels: { route, le: String(le) },
        value: Math.floor(count * share(i, BUCKETS.length)),
      }),
    );
    durations.push({ name: 'app_http_request_duration_seconds_bucket', labels: { route, le: '+Inf' }, value: count });
    durations.push({ name: 'app_http_request_duration_seconds_sum', labels: { route }, value: count * 0.042 });
    durations.push({ name: 'app_http_request_duration_seconds_count', labels: { route }, value: count });
  }
  const series = (name: string, label: string, n: number, value: (i: number) => number): Sample[] =>
    Array.from({ length: n }, (_, i) => ({ name, labels: { [label]: `${label}-${i}` }, value: value(i) }));
  const jobs: Sample[] = [];
  for (let k = 0; k < 50; k++)
    for (const result of ['ok', 'retry', 'failed', 'skipped'])
      jobs.push({ name: 'app_jobs_processed_total', labels: { kind: `kind-${k}`, result }, value: grow(jobs.length) });
  return [
    { name: 'app_http_requests_total', help: 'Requests served.', type: 'counter', samples: requests },
    { name: 'app_http_request_duration_seconds', help: 'Request latency.', type: 'histogram', samples: durations },
    {
      name: 'app_queue_depth',
      help: 'Items waiting per queue.',
      type: 'gauge',
      samples: series('app_queue_depth', 'queue', 100, (i) => ((box + cycle + i) % 50) * f),
    },
    { name: 'app_cache_hits_total', help: 'Cache hits.', type: 'counter', samples: series('app_cache_hits_total', 'cache', 100, grow) },
    {
      name: 'app_worker_busy',
      help: 'Whether a worker is busy.',
      type: 'gauge',
      samples: series('app_worker_busy', 'worker', 120, (i) => (box + cycle + i) % 2),
    },
    { name: 'app_jobs_processed_total', help: 'Jobs processed.', type: 'counter', samples: jobs },
  ];
}

export function appBody(box: number, cycle: number): string {
  return encodeText(appFamilies(box, cycle));
}

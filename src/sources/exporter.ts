/**
 * A local exporter, scraped like Prometheus does: keep-alive (one undici pool
 * per exporter), gzip, a body size limit, Accept negotiation of the text
 * format and OpenMetrics (converted), the strict parser (so duplicates and
 * garbage are refused, never pushed) fed as the body arrives, metric_keep/
 * metric_drop and Prometheus' sample and label limits applied while parsing
 * (a body past a limit is refused before it is all read), then the extra
 * labels.
 */
import { gunzipSync } from 'node:zlib';
import { limitedBody, request, type Dispatcher } from '../http/request.ts';
import type { SourceDefaults } from '../config/config.ts';
import type { ParseLimits } from '../model/text-parser.ts';
import type { KeySpec, SectionReader } from '../config/schema.ts';
import { checkJob, RESERVED_LABELS } from '../config/source-job.ts';
import { configFingerprint } from '../config/fingerprint.ts';
import { ExpositionReader } from '../model/exposition-reader.ts';
import { OPENMETRICS_CONTENT_TYPE } from '../model/openmetrics.ts';
import { StringTable } from '../model/string-table.ts';
import { applyTargetLabels } from '../model/target-labels.ts';
import type { Counter } from '../prom.ts';
import { ReasonedError } from '../reasoned-error.ts';
import { authorizationHeader, createDispatcher, HTTP_CLIENT_KEYS, readHttpClientConfig, type HttpClientConfig } from '../http/client.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import { SourceTimeoutError, type Collected, type Source } from './source.ts';

/**
 * Longest line of a body: a longer one fails the scrape as soon as this much
 * of it arrived. Far above any real line (Prometheus users cap label values
 * at a few KB), far below what would strain the memory budget.
 */
const MAX_LINE_BYTES = 1024 * 1024;

/** Text format first (no conversion needed), OpenMetrics accepted, like Prometheus' scrape Accept header. */
const SCRAPE_ACCEPT =
  'text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;version=0.0.1;q=0.5,*/*;q=0.1';

/** [exporter.<name>]: one local exporter to scrape. */
export interface ExporterConfig {
  /** Section name without the kind: `nginx` for [exporter.nginx]. */
  name: string;
  job: string;
  url: string;
  /** The whole scrape, seconds. */
  timeoutSeconds: number;
  sizeLimitBytes: number;
  /** sample_limit and the label limits (0: none). */
  limits: Required<ParseLimits>;
  /** Anchored; applied to family names. */
  metricKeep?: RegExp;
  metricDrop?: RegExp;
  /** Added to every sample (the exporter's own label of the same name becomes exported_<name>). */
  labels: Record<string, string>;
  /** Ask for a gzip body (Accept-Encoding: gzip). */
  compression: boolean;
  http: HttpClientConfig;
}

export const EXPORTER_KEYS: readonly KeySpec[] = [
  { key: 'enabled', kind: 'bool', default: 'true', connection: true, help: 'Scrape this exporter.' },
  { key: 'url', kind: 'url', connection: true, help: 'The metrics URL, e.g. http://127.0.0.1:9113/metrics. Required.' },
  { key: 'job', kind: 'label_value', help: 'The job label; default the section name.' },
  {
    key: 'size_limit',
    kind: 'bytes',
    default: '10MiB',
    min: '1KiB',
    max: '100MiB',
    help: 'Largest body accepted (compressed and uncompressed); larger means up=0. At most 100MiB: a body is parsed in memory, at many times its size.',
  },
  {
    key: 'sample_limit',
    kind: 'int',
    default: '50000',
    min: '1',
    max: '10000000',
    zeroDisables: true,
    help: 'More samples than this (after metric_keep/metric_drop) fails the scrape (up=0) as soon as the parse gets there; 0: no limit.',
  },
  {
    key: 'label_limit',
    kind: 'int',
    default: '0',
    min: '1',
    max: '1000',
    zeroDisables: true,
    help: 'More labels than this on one sample fails the scrape; 0: no limit.',
  },
  {
    key: 'label_name_length_limit',
    kind: 'int',
    default: '0',
    min: '1',
    max: '65536',
    zeroDisables: true,
    help: 'A label name longer than this many bytes fails the scrape; 0: no limit.',
  },
  {
    key: 'label_value_length_limit',
    kind: 'int',
    default: '0',
    min: '1',
    max: '1048576',
    zeroDisables: true,
    help: 'A label value longer than this many bytes fails the scrape; 0: no limit.',
  },
  { key: 'metric_keep', kind: 'regex', help: 'Keep only the families whose name matches (anchored regex).' },
  { key: 'metric_drop', kind: 'regex', help: 'Drop the families whose name matches (anchored regex); applied after metric_keep.' },
  { key: 'label.', kind: 'label_value', help: 'label.<name> = <value>: a label added to every sample of this exporter.' },
  {
    key: 'enable_compression',
    kind: 'bool',
    help: 'Ask the exporter for a gzip-compressed body. Default true, except for a loopback URL (localhost, 127.0.0.0/8, [::1]): there compressing only costs the exporter and the agent CPU.',
  },
  ...HTTP_CLIENT_KEYS.map((k) => (k.key === 'timeout' ? { ...k, default: undefined, help: 'Timeout of the whole scrape; default [agent] timeout.' } : k)),
];

/** `[exporter.<name>]`; undefined when disabled. `agent`: the [agent] section (default timeout, interval). */
export function readExporterSection(r: SectionReader, name: string, agent: SourceDefaults): ExporterConfig | undefined {
  if (r.bool('enabled') === false) return undefined;
  const url = r.url('url');
  if (!url) throw r.error('url', 'is required');
  const http = readHttpClientConfig(r, agent.timeoutSeconds);
  if (http.timeoutSeconds >= agent.intervalSeconds) throw r.error('timeout', `must be shorter than [agent] interval (${agent.intervalSeconds}s)`);
  const labels = r.prefixed('label.');
  for (const l of Object.keys(labels)) if (RESERVED_LABELS.has(l)) throw r.error(`label.${l}`, `${l} is set by edgepush itself`);
  const cfg: ExporterConfig = {
    name,
    job: checkJob(r, r.string('job') ?? name),
    url: url.href,
    timeoutSeconds: http.timeoutSeconds,
    sizeLimitBytes: r.bytes('size_limit')!,
    limits: {
      sampleLimit: r.int('sample_limit')!,
      labelLimit: r.int('label_limit')!,
      labelNameLengthLimit: r.int('label_name_length_limit')!,
      labelValueLengthLimit: r.int('label_value_length_limit')!,
    },
    labels,
    compression: r.bool('enable_compression') ?? !isLoopbackUrl(url),
    http,
  };
  const keep = r.regex('metric_keep');
  const drop = r.regex('metric_drop');
  if (keep) cfg.metricKeep = keep;
  if (drop) cfg.metricDrop = drop;
  return cfg;
}

export class ExporterSource implements Source {
  readonly id: string;
  readonly waitsOnNetwork = true;
  readonly job: string;
  readonly timeoutSeconds: number;
  readonly fingerprint: string;
  private readonly config: ExporterConfig;
  private readonly dispatcher: Dispatcher;
  private readonly headers: Record<string, string>;
  private readonly failures: Counter<'exporter' | 'reason'> | undefined;
  private readonly keepFamily: (name: string) => boolean;
  /** The names, HELP texts and long label values this exporter sends every scrape, kept across scrapes. */
  private readonly strings = new StringTable();

  constructor(config: ExporterConfig, metrics?: SelfMetrics) {
    this.config = config;
    this.failures = metrics?.exporterScrapeFailures;
    const { metricKeep, metricDrop } = config;
    this.keepFamily = (name) => (!metricKeep || metricKeep.test(name)) && !(metricDrop && metricDrop.test(name));
    this.id = `exporter.${config.name}`;
    this.job = config.job;
    this.timeoutSeconds = config.timeoutSeconds;
    this.fingerprint = configFingerprint(config);
    this.dispatcher = createDispatcher(config.http);
    this.headers = {
      accept: SCRAPE_ACCEPT,
      // identity: undici would otherwise send none, and an exporter may then compress anyway.
      'accept-encoding': config.compression ? 'gzip' : 'identity',
      'user-agent': 'edgepush',
      'x-prometheus-scrape-timeout-seconds': String(config.timeoutSeconds),
    };
    const auth = authorizationHeader(config.http);
    if (auth) this.headers['authorization'] = auth;
  }

  async collect(signal: AbortSignal): Promise<Collected> {
    try {
      return await this.scrape(signal);
    } catch (err) {
      const reason = failureReason(err, signal);
      if (reason) this.failures?.inc({ exporter: this.config.name, reason });
      throw err;
    }
  }

  /** The body is parsed as it arrives: a limit or a syntax error stops reading it. */
  private async scrape(signal: AbortSignal): Promise<Collected> {
    const res = await request(this.config.url, { method: 'GET', headers: this.headers, dispatcher: this.dispatcher, signal });
    try {
      if (res.statusCode !== 200) throw new ReasonedError('http_status', `HTTP ${res.statusCode} from ${this.config.url}`);
      const contentType = String(res.headers['content-type'] ?? 'text/plain');
      const reader = new ExpositionReader({
        format: contentType.startsWith(OPENMETRICS_CONTENT_TYPE) ? 'openmetrics' : 'text',
        maxLineBytes: MAX_LINE_BYTES,
        limits: this.config.limits,
        keepFamily: this.keepFamily,
        strings: this.strings,
      });
      const body = limitedBody(res, this.config.sizeLimitBytes, 'size_limit');
      const gzip = String(res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
      for await (const chunk of gzip ? gunzipped(body, this.config.sizeLimitBytes) : body) reader.write(chunk);
      // Prometheus accepts a last line without its newline; the reader takes it as a line.
      const { families, samplesScraped } = reader.end();
      return { families: applyTargetLabels(families, this.config.labels, true), samplesScraped };
    } finally {
      // Stops a body we did not read to its end; the abort this raises on the stream is expected.
      if (!res.body.readableEnded) {
        res.body.on('error', () => undefined);
        res.body.destroy();
      }
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/**
 * Whether the URL's host is this box's loopback. A box's exporters nearly
 * always listen there, and node_exporter's gzip of its ~58 KB body took it
 * from 6-7 to 12 ms a scrape (measured with curl): Prometheus' default of
 * compressing suits a network, not loopback.
 */
function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The inflated body, under the same limit. Synchronous, in one piece: see the
 * note on gzip in sinks/pushgateway.ts (thread-pool zlib fragments RSS); the
 * limit bounds the buffer, and the reader still stops at the first limit.
 */
async function* gunzipped(compressed: AsyncIterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of compressed) chunks.push(chunk);
  let body: Buffer;
  try {
    body = gunzipSync(Buffer.concat(chunks), { maxOutputLength: limit });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new ReasonedError('size_limit', `uncompressed body exceeds size_limit ${limit} bytes`);
    throw new ReasonedError('gzip', `invalid gzip body: ${(err as Error).message}`);
  }
  yield body;
}

/** Why a scrape failed, as counted; undefined when the agent itself stopped it (shutdown). */
function failureReason(err: unknown, signal: AbortSignal): string | undefined {
  if (signal.aborted) return signal.reason instanceof SourceTimeoutError ? 'timeout' : undefined;
  return err instanceof ReasonedError ? err.reason : 'request';
}

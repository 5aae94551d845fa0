/**
 * A local exporter, scraped like Prometheus does: keep-alive (one undici pool
 * per exporter), gzip, a body size limit, Accept negotiation of the text
 * format and OpenMetrics (converted), the strict parser (so duplicates and
 * garbage are refused, never pushed), then metric_keep/metric_drop and the
 * extra labels.
 */
import { gunzipSync } from 'node:zlib';
import { readBodyLimited, request, type Dispatcher } from '../http.ts';
import type { ExporterConfig } from '../config/config.ts';
import { configFingerprint } from '../config/fingerprint.ts';
import type { MetricFamily } from '../model/family.ts';
import { OPENMETRICS_CONTENT_TYPE, parseOpenMetrics } from '../model/openmetrics.ts';
import { applyTargetLabels } from '../model/target-labels.ts';
import { parseText } from '../model/text-parser.ts';
import { authorizationHeader, createDispatcher } from '../sinks/http-client.ts';
import { countSamples, type Collected, type Source } from './source.ts';

/** Text format first (no conversion needed), OpenMetrics accepted, like Prometheus' scrape Accept header. */
export const SCRAPE_ACCEPT = 'text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;version=0.0.1;q=0.5,*/*;q=0.1';

export class ExporterSource implements Source {
  readonly id: string;
  readonly job: string;
  readonly timeoutSeconds: number;
  readonly fingerprint: string;
  private readonly config: ExporterConfig;
  private readonly dispatcher: Dispatcher;
  private readonly headers: Record<string, string>;

  constructor(config: ExporterConfig) {
    this.config = config;
    this.id = `exporter.${config.name}`;
    this.job = config.job;
    this.timeoutSeconds = config.timeoutSeconds;
    this.fingerprint = configFingerprint(config);
    this.dispatcher = createDispatcher(config.http);
    this.headers = {
      accept: SCRAPE_ACCEPT,
      'accept-encoding': 'gzip',
      'user-agent': 'edgepush',
      'x-prometheus-scrape-timeout-seconds': String(config.timeoutSeconds),
    };
    const auth = authorizationHeader(config.http);
    if (auth) this.headers['authorization'] = auth;
  }

  async collect(signal: AbortSignal): Promise<Collected> {
    const { text: body, contentType } = await this.fetch(signal);
    // Prometheus accepts a last line without its newline; the strict parser (made to guard pushes) does not.
    const text = body.length > 0 && !body.endsWith('\n') ? body + '\n' : body;
    const all = contentType.startsWith(OPENMETRICS_CONTENT_TYPE) ? parseOpenMetrics(text) : parseText(text);
    return { families: this.filter(all), samplesScraped: countSamples(all) };
  }

  private filter(all: MetricFamily[]): MetricFamily[] {
    const { metricKeep, metricDrop, labels } = this.config;
    const kept = all.filter((f) => (!metricKeep || metricKeep.test(f.name)) && !(metricDrop && metricDrop.test(f.name)));
    return applyTargetLabels(kept, labels, true);
  }

  private async fetch(signal: AbortSignal): Promise<{ text: string; contentType: string }> {
    const limit = this.config.sizeLimitBytes;
    const res = await request(this.config.url, { method: 'GET', headers: this.headers, dispatcher: this.dispatcher, signal });
    try {
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode} from ${this.config.url}`);
      let body = await readBodyLimited(res, limit, 'size_limit');
      if (String(res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
        try {
          // Synchronous: see the note on gzip in sinks/pushgateway.ts (thread-pool zlib fragments RSS).
          body = gunzipSync(body, { maxOutputLength: limit });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new Error(code === 'ERR_BUFFER_TOO_LARGE' ? `uncompressed body exceeds size_limit ${limit} bytes` : `invalid gzip body: ${(err as Error).message}`);
        }
      }
      return { text: body.toString('utf8'), contentType: String(res.headers['content-type'] ?? 'text/plain') };
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

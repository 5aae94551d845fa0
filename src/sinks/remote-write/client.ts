/**
 * One remote-write POST and what it means for the block: delivered, worth
 * retrying (5xx, 429, network), or rejected for good (other 4xx).
 */
import { request, type Dispatcher } from '../../http/request.ts';
import { VERSION } from '../../version.ts';
import { isRequestTimeout, parseRetryAfterMs, statusVerdict } from '../../http/retry.ts';

export interface RemoteWriteClientOptions {
  url: string;
  /** Whole-request timeout (connect, send, response). */
  timeoutMs: number;
  /** Extra headers (tenant ids and such); they cannot replace the protocol headers. */
  headers?: Readonly<Record<string, string>>;
  /** Authorization header value, computed per request so rotated token files are picked up. */
  authorization?: () => string | undefined;
  dispatcher?: Dispatcher;
}

export type SendResult =
  | { outcome: 'ok'; status: number }
  | { outcome: 'retry'; status?: number; reason: string; retryAfterMs?: number }
  | { outcome: 'reject'; status: number; reason: string };

/** The remote write 1.0 protocol headers. */
export const PROTOCOL_HEADERS: Readonly<Record<string, string>> = {
  'content-encoding': 'snappy',
  'content-type': 'application/x-protobuf',
  'x-prometheus-remote-write-version': '0.1.0',
};

const REASON_BYTES = 512;

export class RemoteWriteClient {
  readonly url: string;
  private readonly options: RemoteWriteClientOptions;
  private readonly headers: Record<string, string>;

  constructor(options: RemoteWriteClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`remote write url ${options.url}: must be http or https`);
    if (!(options.timeoutMs > 0)) throw new Error(`remote write ${options.url}: timeoutMs must be positive, got ${options.timeoutMs}`);
    this.url = url.href;
    this.options = options;
    const headers: Record<string, string> = { 'user-agent': `edgepush/${VERSION}` };
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
    for (const k of Object.keys(headers)) {
      if (k in PROTOCOL_HEADERS || k === 'content-length' || k === 'host')
        throw new Error(`remote write ${options.url}: header ${k} is set by the protocol and cannot be configured`);
    }
    this.headers = { ...headers, ...PROTOCOL_HEADERS };
  }

  /** Sends one snappy-compressed WriteRequest. Never throws for network or HTTP failures: it classifies them. */
  async send(body: Buffer, signal?: AbortSignal): Promise<SendResult> {
    const headers = { ...this.headers };
    const auth = this.options.authorization?.();
    if (auth !== undefined) headers['authorization'] = auth;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await request(this.url, {
        method: 'POST',
        body,
        headers,
        signal: abort,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      const status = res.statusCode;
      const verdict = statusVerdict(status);
      if (verdict === 'ok') {
        await res.body.dump();
        return { outcome: 'ok', status };
      }
      const reason = `HTTP ${status}: ${await readReason(res.body)}`;
      if (verdict === 'retry') {
        const retryAfterMs = parseRetryAfterMs(res.headers['retry-after']);
        return retryAfterMs === undefined ? { outcome: 'retry', status, reason } : { outcome: 'retry', status, reason, retryAfterMs };
      }
      return { outcome: 'reject', status, reason };
    } catch (err) {
      if ((timeout.aborted || isRequestTimeout(err)) && !signal?.aborted) return { outcome: 'retry', reason: `timed out after ${this.options.timeoutMs} ms` };
      const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
      const code = e.code ?? e.cause?.code;
      return { outcome: 'retry', reason: `${code ? code + ': ' : ''}${e.cause?.message ?? e.message}` };
    }
  }
}

/** The start of an error body, one line, for logs: receivers explain their 4xx there. */
async function readReason(body: Dispatcher.ResponseData['body']): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += (chunk as Buffer).toString('utf8');
      if (text.length >= REASON_BYTES) break;
    }
  } catch {
    // A body that breaks off still leaves the status to go by.
  } finally {
    body.destroy();
  }
  return text.slice(0, REASON_BYTES).replace(/\s+/g, ' ').trim() || '(empty body)';
}

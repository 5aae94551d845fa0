/**
 * The parts of undici the agent uses (Agent, ProxyAgent, request), loaded
 * from their own modules rather than undici's index. The index also loads
 * fetch, WebSocket, EventSource, cookies, caches and mock agents, and its
 * cookies module reads globalThis.Headers, which makes Node load its own
 * internal copy of undici too: MiBs of resident heap for code the agent
 * never runs (measured with `npm run bench -- package`). These are undici's
 * internal paths: package-lock.json pins the version, and test/http/request.test.ts
 * and the sink tests fail if an upgrade moves them.
 */
import type { Dispatcher } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import dispatcherApi from 'undici/lib/api/index.js';
import { ReasonedError } from '../reasoned-error.ts';

// What undici's index does for every dispatcher: request(), connect() ... as
// methods (ProxyAgent itself calls connect() on its proxy client).
Object.assign(DispatcherClass.prototype, dispatcherApi);

export type { Dispatcher };
export { Agent };
export { default as ProxyAgent } from 'undici/lib/dispatcher/proxy-agent.js';

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Dispatcher.HttpMethod;
  /** Default: one keep-alive Agent shared by the callers that give none. */
  dispatcher?: Dispatcher;
};

let sharedAgent: Dispatcher | undefined;

/**
 * A response body's chunks as they arrive, refused past `limit` bytes (as
 * declared by content-length, or as counted) without reading the rest;
 * `limitName` names the limit in the error and is its reason (e.g. the config key).
 */
export async function* limitedBody(res: Dispatcher.ResponseData, limit: number, limitName: string): AsyncGenerator<Buffer> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > limit) throw new ReasonedError(limitName, `body of ${declared} bytes exceeds ${limitName} ${limit}`);
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ReasonedError(limitName, `body exceeds ${limitName} ${limit} bytes`);
    yield chunk as Buffer;
  }
}

/** The whole body under a limit, as limitedBody. */
export async function readBodyLimited(res: Dispatcher.ResponseData, limit: number, limitName: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of limitedBody(res, limit, limitName)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** undici's request(url, options) for an absolute URL. */
export function request(url: string, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const { dispatcher = (sharedAgent ??= new Agent()), ...rest } = options;
  const u = new URL(url);
  return dispatcher.request({
    ...rest,
    origin: u.origin,
    path: u.search ? `${u.pathname}${u.search}` : u.pathname,
    method: rest.method ?? 'GET',
  });
}

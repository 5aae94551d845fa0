/**
 * A slow gateway, not a down one: an HTTP proxy on loopback in front of a real
 * server that holds each request for `delayMs(method, path)` before passing it
 * on. A held request is passed on even when its client has given up (timed
 * out), the way an overloaded server still applies a request it read late: a
 * late write.
 */
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowProxy {
  url: string;
  /** How long to hold a request; change it at any time (0: pass on at once). */
  delayMs: (method: string, path: string) => number;
  /** Requests held and not yet answered by the server behind. */
  readonly held: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startSlowProxy(upstream: string): Promise<SlowProxy> {
  const target = new URL(upstream);
  let held = 0;
  const proxy: SlowProxy = {
    url: '',
    delayMs: () => 0,
    get held() {
      return held;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer(async (req, res) => {
    res.on('error', () => {});
    held++;
    try {
      const body = await readBody(req).catch(() => undefined);
      // A request whose body never arrived whole is not applied by a real server either.
      if (!body) return;
      const delay = proxy.delayMs(req.method ?? 'GET', req.url ?? '/');
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const answer = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
        const up = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host, connection: 'close' } },
          (upRes) => readBody(upRes).then((b) => resolve({ status: upRes.statusCode ?? 502, headers: upRes.headers, body: b }), reject),
        );
        up.on('error', reject);
        up.end(body);
      }).catch(() => ({ status: 502, headers: {} as IncomingMessage['headers'], body: Buffer.alloc(0) }));
      if (!res.destroyed) res.writeHead(answer.status, { 'content-type': answer.headers['content-type'] ?? 'text/plain' }).end(answer.body);
    } finally {
      held--;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

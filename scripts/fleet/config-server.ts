/**
 * The fleet's remote-configuration server: one INI layer per instance at
 * `/layers/<instance>.ini`, with an ETag per layer version, so an unchanged
 * layer costs a 304. It counts requests per second for the roll-out's
 * peak request rate.
 *
 * Signed layers would be served here too (the layer and its signature) once
 * signing lands; the drill publishes plain layers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class ConfigServer {
  private version = 1;
  private readonly server: Server;
  /** Requests by second (epoch seconds). */
  private readonly perSecond = new Map<number, number>();
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const second = Math.floor(Date.now() / 1000);
      this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
      const match = /^\/layers\/([A-Za-z0-9_.-]+)\.ini$/.exec(req.url ?? '');
      if (!match) {
        res.writeHead(404).end();
        return;
      }
      const etag = `"v${this.version}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', etag }).end(ConfigServer.layer(match[1]!, this.version));
    });
  }

  /** A layer that changes nothing the receivers see but is a real change: the box reloads it. */
  static layer(instance: string, version: number): string {
    return `# fleet drill layer for ${instance}\n[exporter.app]\nmetric_drop = drill_rollout_v${version}_drops_nothing\n`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Publishes the next layer version; returns it. */
  publish(): number {
    return ++this.version;
  }

  /** The highest request rate (requests in one second) since `sinceMs`. */
  peakRate(sinceMs: number): number {
    let peak = 0;
    for (const [second, n] of this.perSecond) if (second * 1000 >= sinceMs - 999) peak = Math.max(peak, n);
    return peak;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

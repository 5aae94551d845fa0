/**
 * The fleet's remote-configuration server: one INI layer per instance at
 * `/layers/<instance>.ini`, with an ETag per layer version, so an unchanged
 * layer costs a 304. Every layer is signed (ed25519, the version in the
 * envelope) with a key made for the run, as a real fleet's are: the boxes
 * trust only its public key (`writeTrustedKeys`), so the roll-out measures
 * the verification too. It counts requests per second for the roll-out's
 * peak request rate.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signLayer } from '../../src/config/remote/layer-signature.ts';

export class ConfigServer {
  private version = 1;
  private readonly server: Server;
  private readonly signingKey: KeyObject;
  private readonly publicKeyPem: string;
  /** Requests by second (epoch seconds). */
  private readonly perSecond = new Map<number, number>();
  url = '';

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    this.signingKey = privateKey;
    this.publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
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
      res.writeHead(200, { 'content-type': 'text/plain', etag }).end(signLayer(ConfigServer.layer(match[1]!, this.version), this.signingKey, this.version));
    });
  }

  /** A layer that changes nothing the receivers see but is a real change: the box reloads it. */
  static layer(instance: string, version: number): string {
    return `# fleet drill layer for ${instance}\n[exporter.app]\nmetric_drop = drill_rollout_v${version}_drops_nothing\n`;
  }

  /** The file of trusted keys the boxes' [remote_config] trusted_keys names: this server's public key. */
  writeTrustedKeys(file: string): void {
    writeFileSync(file, this.publicKeyPem);
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

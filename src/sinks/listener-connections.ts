/**
 * The listener's connection cap, with room made for a new client instead of
 * turning it away. A plain cap (net.Server's maxConnections) lets anyone who
 * opens that many connections and sends nothing lock scrapers out until the
 * server's timeouts close them. Here, once the cap is exceeded, the connection
 * that has waited longest without a request in progress is closed: one that
 * never sent a complete request (idle, or dribbling its headers), or a
 * keep-alive connection between requests. A scraper sends its request at once,
 * so its connection is the newest waiting one and then busy; only a client
 * whose response is being written keeps its place. When every connection is
 * busy the new one is closed, so the cap still bounds memory.
 *
 * Connections are known by remote address and port: the same for the TCP
 * socket the server accepts and, with TLS, the TLS socket its requests arrive on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.ts';

interface Connection {
  socket: Socket;
  /** Requests answered or being answered on it; pipelining can make it more than one. */
  inFlight: number;
  /** When it last started waiting for a request, in accept/response order (a counter, so ties cannot happen). */
  waitingSince: number;
}

function connectionKey(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string | undefined {
  return socket.remoteAddress === undefined || socket.remotePort === undefined ? undefined : `${socket.remoteAddress}|${socket.remotePort}`;
}

export class ConnectionCap {
  private readonly open = new Map<string, Connection>();
  private readonly max: number;
  private readonly log: Logger;
  private clock = 0;

  /** Caps `server` at `max` connections; the server's own maxConnections stays a hard bound one above it. */
  constructor(server: Server, max: number, log: Logger) {
    this.max = max;
    this.log = log;
    server.maxConnections = max + 1;
    server.on('connection', (socket: Socket) => this.accepted(socket));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.requested(req, res));
  }

  /** Whether a response is being written on the connection of `socket`: nothing else may be written on it then. */
  responding(socket: Duplex): boolean {
    const key = connectionKey(socket as Socket);
    return key !== undefined && (this.open.get(key)?.inFlight ?? 0) > 0;
  }

  private accepted(socket: Socket): void {
    const key = connectionKey(socket);
    if (key === undefined) return; // already gone
    this.open.set(key, { socket, inFlight: 0, waitingSince: ++this.clock });
    socket.once('close', () => this.open.delete(key));
    if (this.open.size <= this.max) return;
    let oldest: Connection | undefined;
    for (const c of this.open.values()) {
      if (c.socket !== socket && c.inFlight === 0 && (!oldest || c.waitingSince < oldest.waitingSince)) oldest = c;
    }
    const closed = oldest?.socket ?? socket;
    this.log.debug('connection cap reached: closing a connection', {
      max: this.max,
      closed: closed === socket ? 'new, every other one is answering' : 'longest waiting without a request',
      remote: closed.remoteAddress,
    });
    closed.destroy();
  }

  private requested(req: IncomingMessage, res: ServerResponse): void {
    const key = connectionKey(req.socket);
    const connection = key === undefined ? undefined : this.open.get(key);
    if (!connection) return;
    connection.inFlight++;
    res.once('close', () => {
      connection.inFlight--;
      connection.waitingSince = ++this.clock;
    });
  }
}

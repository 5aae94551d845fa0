/**
 * A minimal D-Bus client connection over a Unix socket: SASL EXTERNAL
 * authentication (the kernel tells the peer our uid; we state the same uid,
 * hex-encoded), Hello when the peer is a message bus, then method calls whose
 * replies are matched by serial. Signals and anything else unasked are
 * dropped. No unix fd passing, no introspection, no server side.
 *
 * Own code rather than an npm client (dbus-next and the like): the systemd
 * collector needs a handful of calls, and a few hundred lines tested on
 * recorded bytes bundle into the single executable with no dependency to
 * install, audit or keep current.
 */
import net from 'node:net';
import { startTimer, type Timer } from '../../../timer.ts';
import { decodeMessage, encodeMethodCall, messageLength, MessageType, type Message, type MethodCall } from './message.ts';

/** Where libdbus and go-dbus find the system bus when DBUS_SYSTEM_BUS_ADDRESS is unset. */
const DEFAULT_SYSTEM_BUS = '/var/run/dbus/system_bus_socket';
/** systemd's own peer-to-peer socket (root only): no bus daemon in between. */
export const SYSTEMD_PRIVATE_SOCKET = '/run/systemd/private';

/** The D-Bus daemon's default limit of pending replies per connection is 128 on the system bus; stay well below. */
const MAX_IN_FLIGHT = 32;

/** An error reply: `name` is the D-Bus error name, e.g. org.freedesktop.DBus.Error.UnknownProperty. */
export class DBusError extends Error {
  readonly dbusName: string;
  constructor(dbusName: string, message: string) {
    super(message === '' ? dbusName : `${dbusName}: ${message}`);
    this.name = 'DBusError';
    this.dbusName = dbusName;
  }
}

/**
 * The system bus socket: the `unix:path=` of DBUS_SYSTEM_BUS_ADDRESS when
 * set (as libdbus honours it), else the well-known path.
 */
export function systemBusSocket(env: NodeJS.ProcessEnv = process.env): string {
  const address = env['DBUS_SYSTEM_BUS_ADDRESS'];
  if (address === undefined || address === '') return DEFAULT_SYSTEM_BUS;
  for (const entry of address.split(';')) {
    const m = /^unix:(.*)$/.exec(entry);
    const path = m?.[1]
      ?.split(',')
      .find((kv) => kv.startsWith('path='))
      ?.slice('path='.length);
    if (path) return decodeURIComponent(path);
  }
  throw new Error(`DBUS_SYSTEM_BUS_ADDRESS ${JSON.stringify(address)} has no unix:path= address (the only kind supported)`);
}

export interface ConnectOptions {
  socketPath: string;
  /** A message bus (dbus-daemon, dbus-broker) wants Hello first; systemd's private socket does not. */
  bus: boolean;
  /** Everything, from connect to the last reply, must be done by then; the socket is closed at the deadline. */
  timeoutMs: number;
}

interface Pending {
  resolve: (m: Message) => void;
  reject: (err: Error) => void;
}

export class DBusConnection {
  private readonly socket: net.Socket;
  private readonly where: string;
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Array<() => void> = [];
  private serial = 0;
  private inFlight = 0;
  private failure: Error | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly deadline: Timer;

  private constructor(socket: net.Socket, where: string, timeoutMs: number) {
    this.socket = socket;
    this.where = where;
    this.deadline = startTimer(() => this.fail(new Error(`${where}: no answer within ${timeoutMs / 1000} s`)), timeoutMs, { unref: true });
    socket.on('error', (err) => this.fail(new Error(`${where}: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new Error(`${where}: connection closed by the peer`)));
  }

  static async open(options: ConnectOptions): Promise<DBusConnection> {
    const where = `D-Bus ${options.socketPath}`;
    const socket = net.createConnection({ path: options.socketPath });
    const conn = new DBusConnection(socket, where, options.timeoutMs);
    try {
      const early = await conn.authenticate();
      socket.on('data', (chunk: Buffer) => conn.receive(chunk));
      if (early.length > 0) conn.receive(early);
      if (options.bus)
        await conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' });
      return conn;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  /** Calls a method; resolves with the reply, rejects with a DBusError for an error reply. */
  async call(call: MethodCall): Promise<Message> {
    while (this.inFlight >= MAX_IN_FLIGHT && !this.failure) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.failure) throw this.failure;
    this.inFlight++;
    try {
      const serial = ++this.serial;
      const reply = new Promise<Message>((resolve, reject) => this.pending.set(serial, { resolve, reject }));
      this.socket.write(encodeMethodCall(call, serial));
      return await reply;
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  close(): void {
    this.fail(new Error(`${this.where}: connection closed`));
  }

  /** The SASL exchange, in text lines, before the binary protocol starts; returns the bytes that came after it. */
  private async authenticate(): Promise<Buffer> {
    const uid = process.getuid?.();
    if (uid === undefined) throw new Error(`${this.where}: no uid to authenticate with on this platform`);
    const lines = this.lines();
    // BEGIN goes with AUTH, as sd-bus clients send it: systemd's private socket
    // (sd-bus as the server) leaves a message that arrives in the same read as
    // BEGIN unprocessed until more bytes come, so a first call sent after OK
    // could otherwise hang (seen on systemd 252 in 3 of 4 connections). Once OK
    // is here, BEGIN has been read too. A server that rejects us answers BEGIN
    // with ERROR, and we fail on the rejection anyway.
    this.socket.write(`\0AUTH EXTERNAL ${Buffer.from(String(uid)).toString('hex')}\r\nBEGIN\r\n`);
    const answer = await lines.next();
    if (!answer.startsWith('OK ')) {
      const reason = answer.startsWith('REJECTED')
        ? `authentication as uid ${uid} rejected (${answer})`
        : `unexpected authentication answer ${JSON.stringify(answer.slice(0, 100))}`;
      throw new Error(`${this.where}: ${reason}`);
    }
    return lines.rest();
  }

  /** Reads CRLF-terminated lines until the caller stops; rest() returns the bytes after the last line read. */
  private lines(): { next(): Promise<string>; rest(): Buffer } {
    let text = Buffer.alloc(0);
    let wake: (() => void) | undefined;
    const onData = (chunk: Buffer): void => {
      text = Buffer.concat([text, chunk]);
      wake?.();
    };
    const onClose = (): void => wake?.();
    this.socket.on('data', onData);
    this.socket.on('close', onClose);
    return {
      next: async () => {
        for (;;) {
          const end = text.indexOf('\r\n');
          if (end >= 0) {
            const line = text.subarray(0, end).toString('latin1');
            text = text.subarray(end + 2);
            return line;
          }
          if (this.failure) throw this.failure;
          if (text.length > 16 * 1024) throw new Error(`${this.where}: authentication line too long`);
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      rest: () => {
        this.socket.off('data', onData);
        this.socket.off('close', onClose);
        return text;
      },
    };
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    try {
      for (;;) {
        const length = messageLength(this.buffered);
        if (length === undefined || this.buffered.length < length) return;
        const message = decodeMessage(this.buffered.subarray(0, length));
        this.buffered = this.buffered.subarray(length);
        this.dispatch(message);
      }
    } catch (err) {
      this.fail(new Error(`${this.where}: unreadable message: ${(err as Error).message}`, { cause: err }));
    }
  }

  private dispatch(message: Message): void {
    if (message.type !== MessageType.methodReturn && message.type !== MessageType.error) return;
    const pending = message.replySerial === undefined ? undefined : this.pending.get(message.replySerial);
    if (!pending) return;
    this.pending.delete(message.replySerial!);
    if (message.type === MessageType.methodReturn) pending.resolve(message);
    else pending.reject(new DBusError(message.errorName ?? 'unnamed error', typeof message.body[0] === 'string' ? message.body[0] : ''));
  }

  /** Ends the connection once: every pending and later call fails with `err`. */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.deadline.clear();
    this.socket.destroy();
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const wake of this.waiting.splice(0)) wake();
  }
}

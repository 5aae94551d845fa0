/**
 * A stand-in for systemd on a Unix socket, speaking just enough D-Bus for the
 * collector's unit tests: SASL EXTERNAL (with sd-bus's quirk after BEGIN),
 * Hello, Manager.ListUnits and Properties.Get from tables. The live comparison with node_exporter on a
 * booted systemd is test/packaging/systemd-collector.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { DBusValue, Variant } from '../../../../src/sources/host/dbus/marshal.ts';
import { decodeMessage, encodeMessage, messageLength, MessageType, type Message } from '../../../../src/sources/host/dbus/message.ts';

export interface FakeUnit {
  name: string;
  activeState: string;
  loadState?: string;
  /** Properties by "Interface.Name" without the org.freedesktop.systemd1. prefix, e.g. "Service.Type". */
  props?: Record<string, Variant>;
}

export interface FakeSystemd {
  socketPath: string;
  /** Every method call received, as "Interface.Member" (Get calls as "Get Interface.Name"). */
  calls: string[];
  close(): Promise<void>;
}

const s = (value: string): Variant => ({ signature: 's', value });
export const u = (value: number): Variant => ({ signature: 'u', value });
export const t = (value: bigint): Variant => ({ signature: 't', value });

function unitPath(name: string): string {
  return `/org/freedesktop/systemd1/unit/${[...Buffer.from(name)].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `_${b.toString(16).padStart(2, '0')}`)).join('')}`;
}

export async function startFakeSystemd(
  units: readonly FakeUnit[],
  manager: Record<string, string> = { Version: '252.36-1~deb12u1', Virtualization: '', SystemState: 'running' },
): Promise<FakeSystemd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-fake-systemd-'));
  const socketPath = path.join(dir, 'bus');
  const calls: string[] = [];
  const byPath = new Map(units.map((unit) => [unitPath(unit.name), unit]));
  let serial = 100;

  const answer = (m: Message): Buffer => {
    const reply = (signature: string, body: DBusValue[]): Buffer =>
      encodeMessage({ type: MessageType.methodReturn, replySerial: m.serial, signature, body }, ++serial);
    const error = (name: string, text: string): Buffer =>
      encodeMessage({ type: MessageType.error, replySerial: m.serial, errorName: name, signature: 's', body: [text] }, ++serial);
    if (m.member === 'Hello') return reply('s', [':1.7']);
    if (m.member === 'ListUnits') {
      calls.push('Manager.ListUnits');
      return reply('a(ssssssouso)', [units.map((x) => [x.name, '', x.loadState ?? 'loaded', x.activeState, '', '', unitPath(x.name), 0, '', '/'])]);
    }
    if (m.member === 'Get') {
      const [iface, name] = m.body as [string, string];
      const key = `${iface.replace('org.freedesktop.systemd1.', '')}.${name}`;
      calls.push(`Get ${key}`);
      const value =
        m.path === '/org/freedesktop/systemd1' && key.startsWith('Manager.')
          ? manager[name] === undefined
            ? undefined
            : s(manager[name])
          : byPath.get(m.path ?? '')?.props?.[key];
      return value ? reply('v', [value]) : error('org.freedesktop.DBus.Error.UnknownProperty', `Unknown property ${key}`);
    }
    return error('org.freedesktop.DBus.Error.UnknownMethod', `Unknown method ${m.member}`);
  };

  const server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let authenticated = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (!authenticated) {
        const end = buffered.indexOf('\r\n');
        if (end < 0) return;
        const line = buffered.subarray(0, end).toString('latin1').replace(/^\0/, '');
        buffered = buffered.subarray(end + 2);
        if (line.startsWith('AUTH EXTERNAL ')) socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
        else if (line === 'BEGIN') {
          authenticated = true;
          // As systemd's sd-bus server does: bytes read together with BEGIN wait for the next read.
          return;
        } else socket.write('ERROR\r\n');
      }
      for (let length = messageLength(buffered); length !== undefined && buffered.length >= length; length = messageLength(buffered)) {
        const m = decodeMessage(buffered.subarray(0, length));
        buffered = buffered.subarray(length);
        if (m.type === MessageType.methodCall) socket.write(answer(m));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    calls,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { s as str };

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DBusConnection, DBusError, systemBusSocket } from '../../../../src/sources/host/dbus/connection.ts';
import { waitFor } from '../../../helpers/wait.ts';

const haveDaemon = spawnSync('sh', ['-c', 'command -v dbus-daemon']).status === 0;
const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-dbus-'));
const busPath = path.join(dir, 'bus');
let daemon: ChildProcess | undefined;

/** A real dbus-daemon on a socket of our own: the peer our client must satisfy. */
before(async () => {
  if (!haveDaemon) return;
  const config = path.join(dir, 'bus.conf');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=${busPath}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/></policy></busconfig>\n`,
  );
  // Quiet: it warns that it cannot raise its fd limit when not run by init.
  daemon = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork'], { stdio: 'ignore' });
  await waitFor(
    'dbus-daemon to listen',
    () =>
      new Promise<boolean>((resolve) =>
        net
          .createConnection(busPath)
          .on('connect', function (this: net.Socket) {
            this.destroy();
            resolve(true);
          })
          .on('error', () => resolve(false)),
      ),
    { timeoutMs: 30_000 },
  );
});

after(() => {
  daemon?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const skip = haveDaemon ? false : 'dbus-daemon is not installed';

test('authenticates with a real dbus-daemon, says Hello, calls, and gets error replies as DBusError', { skip }, async () => {
  const conn = await DBusConnection.open({ socketPath: busPath, bus: true, timeoutMs: 30_000 });
  try {
    const names = await conn.call({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'ListNames',
    });
    assert.equal(names.signature, 'as');
    assert.ok((names.body[0] as string[]).includes('org.freedesktop.DBus'));
    await assert.rejects(
      conn.call({
        destination: 'org.freedesktop.systemd1',
        path: '/org/freedesktop/systemd1',
        interface: 'org.freedesktop.systemd1.Manager',
        member: 'ListUnits',
      }),
      (err: unknown) => err instanceof DBusError && err.dbusName === 'org.freedesktop.DBus.Error.ServiceUnknown',
    );
    // More calls at once than the in-flight limit: all answered, in order of their own replies.
    const many = await Promise.all(
      Array.from({ length: 100 }, () =>
        conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'GetId' }),
      ),
    );
    assert.equal(new Set(many.map((m) => m.body[0])).size, 1);
  } finally {
    conn.close();
  }
});

/** A socket server that answers the first line with `answer` (or nothing), for the failure cases. */
async function oneLineServer(answer: string | undefined): Promise<{ socketPath: string; close(): void }> {
  const socketPath = path.join(dir, `fake-${Math.random().toString(16).slice(2)}`);
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => answer !== undefined && s.write(answer));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { socketPath, close: () => server.close() };
}

test('a refused authentication, a silent peer and a missing socket are errors naming the socket', async () => {
  const rejecting = await oneLineServer('REJECTED EXTERNAL DBUS_COOKIE_SHA1\r\n');
  await assert.rejects(
    DBusConnection.open({ socketPath: rejecting.socketPath, bus: true, timeoutMs: 30_000 }),
    new RegExp(`D-Bus ${rejecting.socketPath}: authentication as uid \\d+ rejected \\(REJECTED EXTERNAL DBUS_COOKIE_SHA1\\)`),
  );
  rejecting.close();
  const silent = await oneLineServer(undefined);
  await assert.rejects(DBusConnection.open({ socketPath: silent.socketPath, bus: true, timeoutMs: 300 }), /no answer within 0.3 s/);
  silent.close();
  await assert.rejects(DBusConnection.open({ socketPath: path.join(dir, 'absent'), bus: true, timeoutMs: 30_000 }), /D-Bus .*absent: connect ENOENT/);
});

test('the system bus is DBUS_SYSTEM_BUS_ADDRESS when set, else the well-known socket', () => {
  assert.equal(systemBusSocket({}), '/var/run/dbus/system_bus_socket');
  assert.equal(systemBusSocket({ DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/run/x/bus,guid=1' }), '/run/x/bus');
  assert.throws(() => systemBusSocket({ DBUS_SYSTEM_BUS_ADDRESS: 'tcp:host=localhost,port=1' }), /no unix:path= address/);
});

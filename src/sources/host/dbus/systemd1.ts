/**
 * The few calls of systemd's D-Bus API (org.freedesktop.systemd1) the
 * systemd collector makes: the unit list and single properties, each checked
 * for the type systemd documents.
 */
import type { DBusConnection } from './connection.ts';
import type { DBusValue, Variant } from './marshal.ts';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';

/** One entry of Manager.ListUnits, fields as systemd names them. */
export interface UnitStatus {
  name: string;
  description: string;
  loadState: string;
  activeState: string;
  subState: string;
  /** The unit's object path, for its properties. */
  path: string;
}

export async function listUnits(conn: DBusConnection): Promise<UnitStatus[]> {
  const reply = await conn.call({ destination: SYSTEMD, path: MANAGER_PATH, interface: `${SYSTEMD}.Manager`, member: 'ListUnits' });
  if (reply.signature !== 'a(ssssssouso)') throw new Error(`ListUnits answered with signature "${reply.signature}", expected a(ssssssouso)`);
  return (reply.body[0] as string[][]).map(([name, description, loadState, activeState, subState, , path]) => ({
    name: name!,
    description: description!,
    loadState: loadState!,
    activeState: activeState!,
    subState: subState!,
    path: path!,
  }));
}

/** A property of the given type (`s`, `u`, `t`, ...) through org.freedesktop.DBus.Properties.Get; another type is an error. */
export async function getProperty(conn: DBusConnection, path: string, iface: string, name: string, type: 's'): Promise<string>;
export async function getProperty(conn: DBusConnection, path: string, iface: string, name: string, type: 'u'): Promise<number>;
export async function getProperty(conn: DBusConnection, path: string, iface: string, name: string, type: 't'): Promise<bigint>;
export async function getProperty(conn: DBusConnection, path: string, iface: string, name: string, type: string): Promise<DBusValue> {
  const reply = await conn.call({
    destination: SYSTEMD,
    path,
    interface: 'org.freedesktop.DBus.Properties',
    member: 'Get',
    signature: 'ss',
    body: [iface, name],
  });
  const variant = reply.body[0] as Variant | undefined;
  if (reply.signature !== 'v' || variant === undefined) throw new Error(`Get ${iface}.${name} answered with signature "${reply.signature}", expected v`);
  if (variant.signature !== type) throw new Error(`${iface}.${name} has type ${variant.signature}, expected ${type}`);
  return variant.value;
}

/** A string property of the manager (Version, Virtualization, SystemState). */
export function managerProperty(conn: DBusConnection, name: string): Promise<string> {
  return getProperty(conn, MANAGER_PATH, `${SYSTEMD}.Manager`, name, 's');
}

/** The interface of a unit type's own properties: "Service" → org.freedesktop.systemd1.Service. */
export function unitInterface(type: 'Unit' | 'Service' | 'Mount' | 'Socket' | 'Timer'): string {
  return `${SYSTEMD}.${type}`;
}

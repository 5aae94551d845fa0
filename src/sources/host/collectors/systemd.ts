/**
 * The systemd collector: unit states and counts, the manager's version,
 * virtualization and system state, and (behind node_exporter's flags)
 * restarts, start times and task counts of units, read over D-Bus from
 * systemd (org.freedesktop.systemd1) on the system bus, or on systemd's
 * private socket with --collector.systemd.private (root only). One
 * connection per collection, as node_exporter makes.
 */
import { FamilySet, type MetricFamily } from '../../../model/family.ts';
import type { Logger } from '../../../log.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import type { CollectorDefinition } from '../machinery/collector.ts';
import { DBusConnection, SYSTEMD_PRIVATE_SOCKET, systemBusSocket } from '../dbus/connection.ts';
import { getProperty, listUnits, managerProperty, unitInterface, type UnitStatus } from '../dbus/systemd1.ts';
import type { OptionValues } from '../../../config/option-values.ts';

const OPT = {
  include: 'collector.systemd.unit-include',
  exclude: 'collector.systemd.unit-exclude',
  oldInclude: 'collector.systemd.unit-whitelist',
  oldExclude: 'collector.systemd.unit-blacklist',
  private: 'collector.systemd.private',
  tasks: 'collector.systemd.enable-task-metrics',
  restarts: 'collector.systemd.enable-restarts-metrics',
  startTime: 'collector.systemd.enable-start-time-metrics',
} as const;

const DEFAULT_INCLUDE = '.+';
const DEFAULT_EXCLUDE = '.+\\.(automount|device|mount|scope|slice)';

/** The states node_exporter gives a series each (a unit in another state still counts in node_systemd_units). */
const UNIT_STATES = ['active', 'activating', 'deactivating', 'inactive', 'failed'];
/** The first version with Manager.SystemState and Timer.LastTriggerUSec. */
const MIN_VERSION_SYSTEM_STATE = 212;
/** TasksCurrent/TasksMax when there is no value or no limit. */
const UINT64_MAX = 2n ** 64n - 1n;
/** Closes a bus that stops answering; the host source abandons the collection about then anyway. */
const BUS_DEADLINE_MS = 10_000;

interface Settings {
  include: RegExp;
  exclude: RegExp;
  tasks: boolean;
  restarts: boolean;
  startTime: boolean;
}

/** A pattern anchored at both ends, as node_exporter wraps it: ^(?:re)$. */
function anchored(source: string, flag: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    throw new Error(`--${flag}: ${(err as Error).message}`, { cause: err });
  }
}

/** node_exporter's deprecated unit-whitelist/-blacklist still work while the new flag keeps its default. */
function unitPattern(options: OptionValues, log: Logger, flag: string, oldFlag: string, defaultValue: string): RegExp {
  const value = options.string(flag);
  const old = options.string(oldFlag);
  if (old === '') return anchored(value, flag);
  if (value !== defaultValue) {
    log.warn(`--${oldFlag} is deprecated and ignored: --${flag} is set`);
    return anchored(value, flag);
  }
  log.warn(`--${oldFlag} is deprecated, use --${flag}`);
  return anchored(old, oldFlag);
}

export const systemd: CollectorDefinition = {
  name: 'systemd',
  defaultEnabled: false,
  description: 'Exposes service and system status from systemd (over D-Bus).',
  options: [
    {
      name: OPT.include,
      kind: 'regex',
      default: DEFAULT_INCLUDE,
      help: 'Regexp of systemd units to include. Units must both match include and not match exclude to be included.',
    },
    {
      name: OPT.exclude,
      kind: 'regex',
      default: DEFAULT_EXCLUDE,
      help: 'Regexp of systemd units to exclude. Units must both match include and not match exclude to be included.',
    },
    { name: OPT.oldInclude, kind: 'regex', default: '', help: `DEPRECATED: Use --${OPT.include}` },
    { name: OPT.oldExclude, kind: 'regex', default: '', help: `DEPRECATED: Use --${OPT.exclude}` },
    {
      name: OPT.private,
      kind: 'bool',
      default: false,
      help: `Establish a private, direct connection to systemd without dbus (${SYSTEMD_PRIVATE_SOCKET}; requires root).`,
    },
    { name: OPT.tasks, kind: 'bool', default: false, help: 'Enables service unit tasks metrics unit_tasks_current and unit_tasks_max' },
    { name: OPT.restarts, kind: 'bool', default: false, help: 'Enables service unit metric service_restart_total' },
    { name: OPT.startTime, kind: 'bool', default: false, help: 'Enables service unit metric unit_start_time_seconds' },
  ],
  create: ({ options, log }) => {
    const settings: Settings = {
      include: unitPattern(options, log, OPT.include, OPT.oldInclude, DEFAULT_INCLUDE),
      exclude: unitPattern(options, log, OPT.exclude, OPT.oldExclude, DEFAULT_EXCLUDE),
      tasks: options.bool(OPT.tasks),
      restarts: options.bool(OPT.restarts),
      startTime: options.bool(OPT.startTime),
    };
    const usePrivate = options.bool(OPT.private);
    let lastConnectFailure: string | undefined;
    const connect = async (): Promise<DBusConnection> => {
      try {
        const socketPath = usePrivate ? SYSTEMD_PRIVATE_SOCKET : systemBusSocket();
        const conn = await DBusConnection.open({ socketPath, bus: !usePrivate, timeoutMs: BUS_DEADLINE_MS });
        if (lastConnectFailure !== undefined) log.info('D-Bus connection works again');
        lastConnectFailure = undefined;
        return conn;
      } catch (err) {
        const message = `couldn't get dbus connection: ${(err as Error).message}`;
        const repeated = message === lastConnectFailure;
        lastConnectFailure = message;
        // The host source logs an error once; the same failure again (a box without a bus) stays at debug.
        throw repeated ? new NoDataError(message) : new Error(message, { cause: err });
      }
    };
    return {
      collect: async () => {
        const conn = await connect();
        try {
          return await collectFrom(conn, settings, log);
        } finally {
          conn.close();
        }
      },
    };
  },
};

async function collectFrom(conn: DBusConnection, settings: Settings, log: Logger): Promise<MetricFamily[]> {
  const out = new FamilySet();
  const version = await systemdVersion(conn, log);
  out.gauge('node_systemd_version', 'Detected systemd version', version.number, { version: version.label });
  out.gauge('node_systemd_virtualization_info', 'Detected virtualization technology', 1, { virtualization_type: await virtualization(conn, log) });

  let all: UnitStatus[];
  try {
    all = await listUnits(conn);
  } catch (err) {
    throw new Error(`couldn't get units: ${(err as Error).message}`, { cause: err });
  }
  const summary = new Map(UNIT_STATES.map((s) => [s, 0]));
  for (const u of all) summary.set(u.activeState, (summary.get(u.activeState) ?? 0) + 1);
  for (const [state, count] of summary) out.gauge('node_systemd_units', 'Summary of systemd unit states', count, { state });

  const units = all.filter((u) => settings.include.test(u.name) && !settings.exclude.test(u.name) && u.loadState === 'loaded');
  const optional = <T>(what: string, unit: UnitStatus, value: Promise<T>): Promise<T | undefined> =>
    value.catch((err: unknown) => {
      log.debug(`couldn't get unit ${what}`, { unit: unit.name, err });
      return undefined;
    });
  const sections = [unitStates(conn, units, settings, out, optional), sockets(conn, units, out, optional)];
  if (settings.startTime) sections.push(startTimes(conn, units, out, optional));
  if (settings.tasks) sections.push(tasks(conn, units, out, optional));
  if (version.number >= MIN_VERSION_SYSTEM_STATE) sections.push(timers(conn, units, out, optional));
  await Promise.all(sections);

  if (version.number >= MIN_VERSION_SYSTEM_STATE) {
    let state: string;
    try {
      state = await managerProperty(conn, 'SystemState');
    } catch (err) {
      throw new Error(`couldn't get system state: ${(err as Error).message}`, { cause: err });
    }
    out.gauge('node_systemd_system_running', "Whether the system is operational (see 'systemctl is-system-running')", state === 'running' ? 1 : 0);
  }
  return out.toArray();
}

type Optional = <T>(what: string, unit: UnitStatus, value: Promise<T>) => Promise<T | undefined>;

/** Each unit's property reads run concurrently; the series are added in unit order, so the output does not depend on reply order. */
async function perUnit<T>(units: readonly UnitStatus[], read: (u: UnitStatus) => Promise<T>, emit: (u: UnitStatus, value: T) => void): Promise<void> {
  const values = await Promise.all(units.map(read));
  units.forEach((u, i) => emit(u, values[i]!));
}

function unitStates(conn: DBusConnection, units: readonly UnitStatus[], settings: Settings, out: FamilySet, optional: Optional): Promise<void> {
  return perUnit(
    units,
    async (u) => {
      const service = u.name.endsWith('.service');
      const typeOf = service ? 'Service' : u.name.endsWith('.mount') ? 'Mount' : undefined;
      const [type, restarts] = await Promise.all([
        typeOf ? optional('type', u, getProperty(conn, u.path, unitInterface(typeOf), 'Type', 's')) : undefined,
        // NRestarts exists since systemd 235.
        settings.restarts && service ? optional('NRestarts', u, getProperty(conn, u.path, unitInterface('Service'), 'NRestarts', 'u')) : undefined,
      ]);
      return { type: type ?? '', restarts };
    },
    (u, { type, restarts }) => {
      for (const state of UNIT_STATES) out.gauge('node_systemd_unit_state', 'Systemd unit', state === u.activeState ? 1 : 0, { name: u.name, state, type });
      if (restarts !== undefined) out.counter('node_systemd_service_restart_total', 'Service unit count of Restart triggers', restarts, { name: u.name });
    },
  );
}

function sockets(conn: DBusConnection, units: readonly UnitStatus[], out: FamilySet, optional: Optional): Promise<void> {
  const socket = unitInterface('Socket');
  return perUnit(
    units.filter((u) => u.name.endsWith('.socket')),
    async (u) => {
      // As node_exporter: without NAccepted nothing of the socket, without NConnections no NRefused (systemd >= 239).
      const accepted = await optional('NAccepted', u, getProperty(conn, u.path, socket, 'NAccepted', 'u'));
      const current = accepted === undefined ? undefined : await optional('NConnections', u, getProperty(conn, u.path, socket, 'NConnections', 'u'));
      const refused = current === undefined ? undefined : await getProperty(conn, u.path, socket, 'NRefused', 'u').catch(() => undefined);
      return { accepted, current, refused };
    },
    (u, { accepted, current, refused }) => {
      const labels = { name: u.name };
      if (accepted !== undefined)
        out.counter('node_systemd_socket_accepted_connections_total', 'Total number of accepted socket connections', accepted, labels);
      if (current !== undefined) out.gauge('node_systemd_socket_current_connections', 'Current number of socket connections', current, labels);
      // A gauge despite its _total name, as node_exporter types it.
      if (refused !== undefined) out.gauge('node_systemd_socket_refused_connections_total', 'Total number of refused socket connections', refused, labels);
    },
  );
}

function startTimes(conn: DBusConnection, units: readonly UnitStatus[], out: FamilySet, optional: Optional): Promise<void> {
  return perUnit(
    units,
    // A unit that is not active has start time 0.
    async (u) =>
      u.activeState === 'active' ? optional('StartTimeUsec', u, getProperty(conn, u.path, unitInterface('Unit'), 'ActiveEnterTimestamp', 't')) : 0n,
    (u, usec) => {
      if (usec !== undefined)
        out.gauge('node_systemd_unit_start_time_seconds', 'Start time of the unit since unix epoch in seconds.', Number(usec) / 1e6, { name: u.name });
    },
  );
}

function tasks(conn: DBusConnection, units: readonly UnitStatus[], out: FamilySet, optional: Optional): Promise<void> {
  const service = unitInterface('Service');
  return perUnit(
    units.filter((u) => u.name.endsWith('.service')),
    (u) =>
      Promise.all([
        optional('TasksCurrent', u, getProperty(conn, u.path, service, 'TasksCurrent', 't')),
        optional('TasksMax', u, getProperty(conn, u.path, service, 'TasksMax', 't')),
      ]),
    (u, [current, max]) => {
      if (current !== undefined && current !== UINT64_MAX)
        out.gauge('node_systemd_unit_tasks_current', 'Current number of tasks per Systemd unit', Number(current), { name: u.name });
      if (max !== undefined && max !== UINT64_MAX)
        out.gauge('node_systemd_unit_tasks_max', 'Maximum number of tasks per Systemd unit', Number(max), { name: u.name });
    },
  );
}

function timers(conn: DBusConnection, units: readonly UnitStatus[], out: FamilySet, optional: Optional): Promise<void> {
  return perUnit(
    units.filter((u) => u.name.endsWith('.timer')),
    (u) => optional('LastTriggerUSec', u, getProperty(conn, u.path, unitInterface('Timer'), 'LastTriggerUSec', 't')),
    (u, usec) => {
      if (usec !== undefined)
        out.gauge('node_systemd_timer_last_trigger_seconds', 'Seconds since epoch of last trigger.', Number(usec) / 1e6, { name: u.name });
    },
  );
}

/**
 * The version as a number (the first "NNN" or "NNN.N" of the string, e.g.
 * 252.36 of "252.36-1~deb12u1") and as the label; 0 and "" when unknown,
 * which also leaves out the system state and timers as node_exporter does.
 */
async function systemdVersion(conn: DBusConnection, log: Logger): Promise<{ number: number; label: string }> {
  let full: string;
  try {
    full = await managerProperty(conn, 'Version');
  } catch (err) {
    log.debug('unable to get the systemd version, defaulting to 0', { err });
    return { number: 0, label: '' };
  }
  const m = /[0-9]{3,}(\.[0-9]+)?/.exec(full);
  if (!m) {
    log.debug('invalid systemd version', { version: full });
    return { number: 0, label: '' };
  }
  return { number: Number(m[0]), label: full };
}

/** Manager.Virtualization: "none" on bare metal (systemd says ""), "unknown" when it cannot be read. */
async function virtualization(conn: DBusConnection, log: Logger): Promise<string> {
  try {
    const v = await managerProperty(conn, 'Virtualization');
    return v === '' ? 'none' : v;
  } catch (err) {
    log.debug('could not get the Virtualization property', { err });
    return 'unknown';
  }
}

import { FamilySet } from '../../../model/family.ts';
import { parseFloatStrict } from '../../../model/format-float.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readDrbd } from '../procfs/drbd.ts';

/** /proc/drbd counters: family, HELP, type and multiplier (KiB → bytes; node_exporter leaves `nr` unscaled). */
const NUMERICAL: Record<string, [string, string, 'counter' | 'gauge', number]> = {
  ns: ['network_sent_bytes_total', 'Total number of bytes sent via the network.', 'counter', 1024],
  nr: ['network_received_bytes_total', 'Total number of bytes received via the network.', 'counter', 1],
  dw: ['disk_written_bytes_total', 'Net data written on local hard disk; in bytes.', 'counter', 1024],
  dr: ['disk_read_bytes_total', 'Net data read from local hard disk; in bytes.', 'counter', 1024],
  al: ['activitylog_writes_total', 'Number of updates of the activity log area of the meta data.', 'counter', 1],
  bm: ['bitmap_writes_total', 'Number of updates of the bitmap area of the meta data.', 'counter', 1],
  lo: ['local_pending', 'Number of open requests to the local I/O sub-system.', 'gauge', 1],
  pe: ['remote_pending', 'Number of requests sent to the peer, but that have not yet been answered by the latter.', 'gauge', 1],
  ua: ['remote_unacknowledged', 'Number of requests received by the peer via the network connection, but that have not yet been answered.', 'gauge', 1],
  ap: ['application_pending', 'Number of block I/O requests forwarded to DRBD, but not yet answered by DRBD.', 'gauge', 1],
  ep: ['epochs', 'Number of Epochs currently on the fly.', 'gauge', 1],
  oos: ['out_of_sync_bytes', 'Amount of data known to be out of sync; in bytes.', 'gauge', 1024],
};

/** local/remote pairs such as `ro:Primary/Secondary`: family, HELP and the value that reads 1. */
const STRING_PAIRS: Record<string, [string, string, string]> = {
  ro: ['node_role_is_primary', 'Whether the role of the node is in the primary state.', 'Primary'],
  ds: ['disk_state_is_up_to_date', 'Whether the disk of the node is up to date.', 'UpToDate'],
};

export const drbd: CollectorDefinition = {
  name: 'drbd',
  defaultEnabled: false,
  description: 'Exposes Distributed Replicated Block Device statistics (to version 8.4) from /proc/drbd.',
  create: stateless(async ({ paths, log }) => {
    const out = new FamilySet();
    for (const { device, key, value } of await readDrbd(paths.procfs)) {
      const numerical = NUMERICAL[key];
      if (numerical) {
        const [name, help, type, multiplier] = numerical;
        const v = parseFloatStrict(value);
        if (v === undefined) throw new Error(`/proc/drbd: ${device} ${key}: expected a number, got ${JSON.stringify(value)}`);
        out.add(`node_drbd_${name}`, help, type, v * multiplier, { device });
        continue;
      }
      const pair = STRING_PAIRS[key];
      if (pair) {
        const [name, help, ok] = pair;
        const sides = value.split('/');
        if (sides.length < 2) throw new Error(`/proc/drbd: ${device} ${key}: expected local/remote, got ${JSON.stringify(value)}`);
        out.gauge(`node_drbd_${name}`, help, sides[0] === ok ? 1 : 0, { device, node: 'local' });
        out.gauge(`node_drbd_${name}`, help, sides[1] === ok ? 1 : 0, { device, node: 'remote' });
        continue;
      }
      if (key === 'cs') {
        out.gauge('node_drbd_connected', 'Whether DRBD is connected to the peer.', value === 'Connected' ? 1 : 0, { device });
        continue;
      }
      log.debug('unhandled key-value pair', { key, value });
    }
    return out.toArray();
  }),
};

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FamilySet } from '../../../model/family.ts';
import type { CollectorContext, CollectorDefinition } from '../machinery/collector.ts';
import { DeviceFilter } from '../machinery/options.ts';
import { readAttr } from '../kernel-files/read.ts';
import { tryParseGoFloat } from '../kernel-files/parse.ts';
import { readDiskstats, type DiskStats } from '../procfs/diskstats.ts';
import { readBlockDeviceProperties, type UdevProperties } from '../sysfs/udev-data.ts';

export const DEFAULT_DEVICE_EXCLUDE = '^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$';

const SECONDS_PER_TICK = 0.001;
const SECTOR_BYTES = 512;

/** The counters of a diskstats line in kernel order: metric, HELP, type, scale. */
const COUNTERS: ReadonlyArray<[string, string, 'counter' | 'gauge', number]> = [
  ['reads_completed_total', 'The total number of reads completed successfully.', 'counter', 1],
  ['reads_merged_total', 'The total number of reads merged.', 'counter', 1],
  ['read_bytes_total', 'The total number of bytes read successfully.', 'counter', SECTOR_BYTES],
  ['read_time_seconds_total', 'The total number of seconds spent by all reads.', 'counter', SECONDS_PER_TICK],
  ['writes_completed_total', 'The total number of writes completed successfully.', 'counter', 1],
  ['writes_merged_total', 'The number of writes merged.', 'counter', 1],
  ['written_bytes_total', 'The total number of bytes written successfully.', 'counter', SECTOR_BYTES],
  ['write_time_seconds_total', 'This is the total number of seconds spent by all writes.', 'counter', SECONDS_PER_TICK],
  ['io_now', 'The number of I/Os currently in progress.', 'gauge', 1],
  ['io_time_seconds_total', 'Total seconds spent doing I/Os.', 'counter', SECONDS_PER_TICK],
  ['io_time_weighted_seconds_total', 'The weighted # of seconds spent doing I/Os.', 'counter', SECONDS_PER_TICK],
  ['discards_completed_total', 'The total number of discards completed successfully.', 'counter', 1],
  ['discards_merged_total', 'The total number of discards merged.', 'counter', 1],
  ['discarded_sectors_total', 'The total number of sectors discarded successfully.', 'counter', 1],
  ['discard_time_seconds_total', 'This is the total number of seconds spent by all discards.', 'counter', SECONDS_PER_TICK],
  ['flush_requests_total', 'The total number of flush requests completed successfully', 'counter', 1],
  ['flush_requests_time_seconds_total', 'This is the total number of seconds spent by all flush requests.', 'counter', SECONDS_PER_TICK],
];

const ATA: ReadonlyArray<[string, string, string]> = [
  ['ID_ATA_WRITE_CACHE', 'node_disk_ata_write_cache', 'ATA disk has a write cache.'],
  ['ID_ATA_WRITE_CACHE_ENABLED', 'node_disk_ata_write_cache_enabled', 'ATA disk has its write cache enabled.'],
  ['ID_ATA_ROTATION_RATE_RPM', 'node_disk_ata_rotation_rate_rpm', 'ATA disk rotation rate in RPMs (0 for SSDs).'],
];

function deviceFilter({ options }: CollectorContext): DeviceFilter {
  const include = options.regex('collector.diskstats.device-include');
  const excludeText = options.string('collector.diskstats.device-exclude');
  // An include replaces the default exclude; only an explicitly changed exclude conflicts with it.
  if (include) {
    if (excludeText !== DEFAULT_DEVICE_EXCLUDE && excludeText !== '')
      throw new Error('--collector.diskstats.device-exclude and --collector.diskstats.device-include are mutually exclusive');
    return new DeviceFilter(include, undefined);
  }
  return new DeviceFilter(undefined, options.regex('collector.diskstats.device-exclude'));
}

async function rotational(sysfs: string, device: string): Promise<string> {
  const v = await readAttr(path.join(sysfs, 'block', device, 'queue', 'rotational'));
  return v === '1' ? '1' : '0';
}

function addDevice(out: FamilySet, d: DiskStats, udev: UdevProperties, rot: string): void {
  const device = d.device;
  const get = (k: string): string => udev.get(k) ?? '';
  const serial = get('SCSI_IDENT_SERIAL') || get('ID_SERIAL_SHORT') || get('ID_SERIAL');
  out.gauge('node_disk_info', 'Info of /sys/block/<block_device>.', 1, {
    device,
    major: String(d.major),
    minor: String(d.minor),
    path: get('ID_PATH'),
    wwn: get('ID_WWN'),
    model: get('ID_MODEL'),
    serial,
    revision: get('ID_REVISION'),
    rotational: rot,
  });
  d.counters.slice(0, COUNTERS.length).forEach((raw, i) => {
    const [suffix, help, type, scale] = COUNTERS[i]!;
    out.add(`node_disk_${suffix}`, help, type, raw * scale, { device });
  });
  if (get('ID_FS_TYPE') !== '') {
    out.gauge('node_disk_filesystem_info', 'Info about disk filesystem.', 1, {
      device,
      type: get('ID_FS_TYPE'),
      usage: get('ID_FS_USAGE'),
      uuid: get('ID_FS_UUID'),
      version: get('ID_FS_VERSION'),
    });
  }
  if (get('DM_NAME') !== '') {
    out.gauge('node_disk_device_mapper_info', 'Info about disk device mapper.', 1, {
      device,
      name: get('DM_NAME'),
      uuid: get('DM_UUID'),
      vg_name: get('DM_VG_NAME'),
      lv_name: get('DM_LV_NAME'),
      lv_layer: get('DM_LV_LAYER'),
    });
  }
  if (get('ID_ATA') !== '') {
    for (const [key, name, help] of ATA) {
      const text = udev.get(key);
      const v = text === undefined ? undefined : tryParseGoFloat(text);
      if (v !== undefined) out.gauge(name, help, v, { device });
    }
  }
}

export const diskstats: CollectorDefinition = {
  name: 'diskstats',
  defaultEnabled: true,
  description: 'Exposes disk I/O statistics.',
  options: [
    {
      name: 'collector.diskstats.device-exclude',
      kind: 'regex',
      default: DEFAULT_DEVICE_EXCLUDE,
      help: 'Regexp of diskstats devices to exclude (mutually exclusive to device-include).',
    },
    {
      name: 'collector.diskstats.device-include',
      kind: 'regex',
      default: '',
      help: 'Regexp of diskstats devices to include (mutually exclusive to device-exclude).',
    },
  ],
  create(ctx) {
    const { paths, log } = ctx;
    let udevChecked: Promise<boolean> | undefined;
    const udevUsable = (): Promise<boolean> =>
      (udevChecked ??= stat(paths.udevData)
        .then(
          (s) => s.isDirectory(),
          () => false,
        )
        .then((ok) => {
          if (!ok) log.error('Failed to open directory, disabling udev device properties', { path: paths.udevData });
          return ok;
        }));
    return {
      async collect() {
        const filter = deviceFilter(ctx);
        const useUdev = await udevUsable();
        const out = new FamilySet();
        const devices = (await readDiskstats(paths.procfs)).filter((d) => !filter.ignored(d.device));
        const extras = await Promise.all(
          devices.map(async (d) => {
            const udev = useUdev
              ? await readBlockDeviceProperties(paths.udevData, d.major, d.minor).catch(() => new Map<string, string>())
              : new Map<string, string>();
            return { udev, rot: await rotational(paths.sysfs, d.device) };
          }),
        );
        devices.forEach((d, i) => addDevice(out, d, extras[i]!.udev, extras[i]!.rot));
        return out.toArray();
      },
    };
  },
};

import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { isErrno } from '../kernel-files/read.ts';
import { readWatchdogClass, type Watchdog } from '../sysfs/watchdog.ts';

const GAUGES: Array<[keyof Watchdog, string, string]> = [
  ['bootstatus', 'node_watchdog_bootstatus', 'bootstatus'],
  ['fwVersion', 'node_watchdog_fw_version', 'fw_version'],
  ['nowayout', 'node_watchdog_nowayout', 'nowayout'],
  ['timeleft', 'node_watchdog_timeleft_seconds', 'timeleft'],
  ['timeout', 'node_watchdog_timeout_seconds', 'timeout'],
  ['pretimeout', 'node_watchdog_pretimeout_seconds', 'pretimeout'],
  ['accessCs0', 'node_watchdog_access_cs0', 'access_cs0'],
];

export const watchdog: CollectorDefinition = {
  name: 'watchdog',
  defaultEnabled: true,
  description: 'Exposes watchdog device stats from /sys/class/watchdog.',
  create: stateless(async ({ paths }) => {
    // os.ErrNotExist, os.ErrPermission and os.ErrInvalid in node_exporter.
    const watchdogs: Watchdog[] = await readOrNoData(() => readWatchdogClass(paths.sysfs), {
      absent: (err) => isErrno(err, 'ENOENT', 'EACCES', 'EPERM', 'EINVAL'),
      noData: (err) => `could not read watchdog stats: ${err.message}`,
    });
    const out = new FamilySet();
    for (const wd of watchdogs) {
      for (const [key, name, file] of GAUGES) {
        const v = wd[key];
        if (typeof v === 'number') out.gauge(name, `Value of /sys/class/watchdog/<watchdog>/${file}`, v, { name: wd.name });
      }
      out.gauge('node_watchdog_info', 'Info of /sys/class/watchdog/<watchdog>', 1, {
        name: wd.name,
        options: wd.options ?? '',
        identity: wd.identity ?? '',
        state: wd.state ?? '',
        status: wd.status ?? '',
        pretimeout_governor: wd.pretimeoutGovernor ?? '',
      });
    }
    return out.toArray();
  }),
};

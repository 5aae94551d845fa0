import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readClockSources } from '../sysfs/clocksource.ts';
import { localZone } from '../procfs/timezone.ts';

export const time: CollectorDefinition = {
  name: 'time',
  defaultEnabled: true,
  description: 'Exposes the current system time.',
  create: stateless(async ({ paths }) => {
    const now = new Date();
    const nowSeconds = now.getTime() / 1000;
    const zone = localZone(now);
    const out = new FamilySet();
    out.gauge('node_time_seconds', 'System time in seconds since epoch (1970).', nowSeconds);
    out.gauge('node_time_zone_offset_seconds', 'System time zone offset in seconds.', zone.offsetSeconds, { time_zone: zone.name });
    const sources = await readClockSources(paths.sysfs);
    sources.forEach((source, i) => {
      const device = String(i);
      for (const cs of source.available)
        out.gauge('node_time_clocksource_available_info', "Available clocksources read from '/sys/devices/system/clocksource'.", 1, {
          device,
          clocksource: cs,
        });
      out.gauge('node_time_clocksource_current_info', "Current clocksource read from '/sys/devices/system/clocksource'.", 1, {
        device,
        clocksource: source.current,
      });
    });
    return out.toArray();
  }),
};

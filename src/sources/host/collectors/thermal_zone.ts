import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readCoolingDevices, readThermalZones } from '../sysfs/thermal.ts';

export const thermalZone: CollectorDefinition = {
  name: 'thermal_zone',
  defaultEnabled: true,
  description: 'Exposes thermal zone & cooling device statistics from /sys/class/thermal.',
  create: stateless(async ({ paths, log }) => {
    const out = new FamilySet();
    for (const z of await readThermalZones(paths.sysfs)) {
      // node_exporter 1.12 reports a zone even when an attribute could not be read (temp then 0).
      if (z.readError) log.debug('thermal zone read errors', { zone: z.name, err: z.readError });
      out.gauge('node_thermal_zone_temp', 'Zone temperature in Celsius', z.tempMilliCelsius / 1000, { zone: z.name, type: z.type });
    }
    for (const d of await readCoolingDevices(paths.sysfs)) {
      out.gauge('node_cooling_device_cur_state', 'Current throttle state of the cooling device', d.curState, { name: d.name, type: d.type });
      out.gauge('node_cooling_device_max_state', 'Maximum throttle state of the cooling device', d.maxState, { name: d.name, type: d.type });
    }
    return out.toArray();
  }),
};

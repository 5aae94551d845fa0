import { FamilySet } from '../../../model/family.ts';
import { sanitizeMetricName } from '../machinery/metric-name.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { isNotExist, isPermission } from '../kernel-files/read.ts';
import { readRaplZones, readZoneEnergyMicrojoules, type RaplZone } from '../sysfs/powercap.ts';

const ZONE_LABEL_OPTION = 'collector.rapl.enable-zone-label';

export const rapl: CollectorDefinition = {
  name: 'rapl',
  defaultEnabled: true,
  description: 'Exposes various statistics from /sys/class/powercap.',
  options: [{ name: ZONE_LABEL_OPTION, kind: 'bool', default: false, help: 'Enables service unit metric unit_start_time_seconds' }],
  create: stateless(async ({ paths, options }) => {
    const zones: RaplZone[] = await readOrNoData(() => readRaplZones(paths.sysfs), {
      absent: (err) => isNotExist(err) || isPermission(err),
      noData: (err) => `no powercap files: ${err.message}`,
      context: 'failed to retrieve rapl stats',
    });
    const zoneLabel = options.bool(ZONE_LABEL_OPTION);
    const out = new FamilySet();
    for (const zone of zones) {
      let microjoules: number;
      try {
        microjoules = await readZoneEnergyMicrojoules(zone);
      } catch (err) {
        if (isPermission(err)) throw new NoDataError(`cannot read energy_uj of ${zone.path}`);
        throw err;
      }
      const joules = microjoules / 1e6;
      const labels = { index: String(zone.index), path: zone.path };
      if (zoneLabel) out.counter('node_rapl_joules_total', 'Current RAPL value in joules', joules, { ...labels, rapl_zone: zone.name });
      else out.counter(`node_rapl_${sanitizeMetricName(zone.name)}_joules_total`, `Current RAPL ${zone.name} value in joules`, joules, labels);
    }
    return out.toArray();
  }),
};

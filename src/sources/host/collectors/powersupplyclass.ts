import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readPowerSupplies, type PowerSupply } from '../sysfs/power-supply.ts';
import { errnoOf } from '../kernel-files/read.ts';

/** Metric suffix → sysfs attribute, by scale: as is, micro-units to units, tenths of °C to °C. */
const AS_IS: ReadonlyArray<[string, string]> = [
  ['authentic', 'authentic'],
  ['calibrate', 'calibrate'],
  ['capacity', 'capacity'],
  ['capacity_alert_max', 'capacity_alert_max'],
  ['capacity_alert_min', 'capacity_alert_min'],
  ['cyclecount', 'cycle_count'],
  ['online', 'online'],
  ['present', 'present'],
  ['time_to_empty_seconds', 'time_to_empty_now'],
  ['time_to_full_seconds', 'time_to_full_now'],
];
const MICRO: ReadonlyArray<[string, string]> = [
  ['current_boot', 'current_boot'],
  ['current_max', 'current_max'],
  ['current_ampere', 'current_now'],
  ['energy_empty', 'energy_empty'],
  ['energy_empty_design', 'energy_empty_design'],
  ['energy_full', 'energy_full'],
  ['energy_full_design', 'energy_full_design'],
  ['energy_watthour', 'energy_now'],
  ['voltage_boot', 'voltage_boot'],
  ['voltage_max', 'voltage_max'],
  ['voltage_max_design', 'voltage_max_design'],
  ['voltage_min', 'voltage_min'],
  ['voltage_min_design', 'voltage_min_design'],
  ['voltage_volt', 'voltage_now'],
  ['voltage_ocv', 'voltage_ocv'],
  ['charge_control_limit', 'charge_control_limit'],
  ['charge_control_limit_max', 'charge_control_limit_max'],
  ['charge_counter', 'charge_counter'],
  ['charge_empty', 'charge_empty'],
  ['charge_empty_design', 'charge_empty_design'],
  ['charge_full', 'charge_full'],
  ['charge_full_design', 'charge_full_design'],
  ['charge_ampere', 'charge_now'],
  ['charge_term_current', 'charge_term_current'],
  ['constant_charge_current', 'constant_charge_current'],
  ['constant_charge_current_max', 'constant_charge_current_max'],
  ['constant_charge_voltage', 'constant_charge_voltage'],
  ['constant_charge_voltage_max', 'constant_charge_voltage_max'],
  ['precharge_current', 'precharge_current'],
  ['input_current_limit', 'input_current_limit'],
  ['power_watt', 'power_now'],
];
const TENTHS: ReadonlyArray<[string, string]> = [
  ['temp_celsius', 'temp'],
  ['temp_alert_max_celsius', 'temp_alert_max'],
  ['temp_alert_min_celsius', 'temp_alert_min'],
  ['temp_ambient_celsius', 'temp_ambient'],
  ['temp_ambient_max_celsius', 'temp_ambient_max'],
  ['temp_ambient_min_celsius', 'temp_ambient_min'],
  ['temp_max_celsius', 'temp_max'],
  ['temp_min_celsius', 'temp_min'],
];
const INFO_LABELS = [
  'capacity_level',
  'charge_type',
  'health',
  'manufacturer',
  'model_name',
  'serial_number',
  'status',
  'technology',
  'type',
  'usb_type',
  'scope',
];

function addSupply(out: FamilySet, ps: PowerSupply): void {
  const labels = { power_supply: ps.name };
  for (const [table, scale] of [
    [AS_IS, 1],
    [MICRO, 1e6],
    [TENTHS, 10],
  ] as const) {
    for (const [suffix, attr] of table) {
      const v = ps.numbers.get(attr);
      if (v !== undefined) out.gauge(`node_power_supply_${suffix}`, `${suffix} value of /sys/class/power_supply/<power_supply>.`, v / scale, labels);
    }
  }
  const info: Record<string, string> = { power_supply: ps.name };
  for (const key of INFO_LABELS) {
    const v = ps.text.get(key);
    if (v) info[key] = v;
  }
  out.gauge('node_power_supply_info', 'info of /sys/class/power_supply/<power_supply>.', 1, info);
}

export const powersupplyclass: CollectorDefinition = {
  name: 'powersupplyclass',
  defaultEnabled: true,
  description: 'Exposes Power Supply statistics from /sys/class/power_supply',
  options: [
    {
      name: 'collector.powersupply.ignored-supplies',
      kind: 'regex',
      default: '^$',
      help: 'Regexp of power supplies to ignore for powersupplyclass collector.',
    },
  ],
  create: stateless(async ({ paths, options }) => {
    const ignored = options.regex('collector.powersupply.ignored-supplies');
    let supplies: PowerSupply[];
    try {
      supplies = await readPowerSupplies(paths.sysfs, (n) => ignored?.test(n) ?? false);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw new NoDataError('no /sys/class/power_supply');
      throw new Error(`could not get power_supply class info: ${(err as Error).message}`, { cause: err });
    }
    const out = new FamilySet();
    for (const ps of supplies) addSupply(out, ps);
    return out.toArray();
  }),
};

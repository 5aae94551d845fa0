/** /sys/class/power_supply/<name>/*, read as prometheus/procfs' PowerSupplyClass does. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { errnoOf, sysReadFile } from '../kernel-files/read.ts';
import { tryParseGoInt } from '../kernel-files/parse.ts';

/** Attributes procfs parses as integers. */
const NUMERIC = new Set([
  'authentic',
  'calibrate',
  'capacity',
  'capacity_alert_max',
  'capacity_alert_min',
  'charge_avg',
  'charge_control_limit',
  'charge_control_limit_max',
  'charge_counter',
  'charge_empty',
  'charge_empty_design',
  'charge_full',
  'charge_full_design',
  'charge_now',
  'charge_term_current',
  'constant_charge_current',
  'constant_charge_current_max',
  'constant_charge_voltage',
  'constant_charge_voltage_max',
  'current_avg',
  'current_boot',
  'current_max',
  'current_now',
  'cycle_count',
  'energy_avg',
  'energy_empty',
  'energy_empty_design',
  'energy_full',
  'energy_full_design',
  'energy_now',
  'input_current_limit',
  'online',
  'power_avg',
  'power_now',
  'precharge_current',
  'present',
  'temp',
  'temp_alert_max',
  'temp_alert_min',
  'temp_ambient',
  'temp_ambient_max',
  'temp_ambient_min',
  'temp_max',
  'temp_min',
  'time_to_empty_avg',
  'time_to_empty_now',
  'time_to_full_avg',
  'time_to_full_now',
  'voltage_avg',
  'voltage_boot',
  'voltage_max',
  'voltage_max_design',
  'voltage_min',
  'voltage_min_design',
  'voltage_now',
  'voltage_ocv',
]);
/** Attributes procfs keeps as text. */
const TEXT = new Set([
  'capacity_level',
  'charge_type',
  'health',
  'manufacturer',
  'model_name',
  'scope',
  'serial_number',
  'status',
  'technology',
  'type',
  'usb_type',
]);

export interface PowerSupply {
  name: string;
  numbers: Map<string, number>;
  text: Map<string, string>;
}

/** Read errors procfs treats as "attribute not available" (e.g. a battery that is absent answers ENODEV). */
const SKIPPED = new Set(['ENOENT', 'EOPNOTSUPP', 'ENOTSUP', 'ENODEV', 'EINVAL']);

async function readSupply(dir: string, name: string): Promise<PowerSupply> {
  const ps: PowerSupply = { name, numbers: new Map(), text: new Map() };
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(dir, entry.name);
    let value: string;
    try {
      value = await sysReadFile(file);
    } catch (err) {
      if (SKIPPED.has(errnoOf(err))) continue;
      throw new Error(`failed to read file ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (NUMERIC.has(entry.name)) {
      const n = tryParseGoInt(value);
      if (n === undefined) throw new Error(`${file}: not an integer: ${JSON.stringify(value.slice(0, 40))}`);
      ps.numbers.set(entry.name, n);
    } else if (TEXT.has(entry.name)) {
      ps.text.set(entry.name, value);
    }
  }
  return ps;
}

/** Every supply under <sysfs>/class/power_supply not matched by `ignored`. Throws ENOENT when the class is absent. */
export async function readPowerSupplies(sysfs: string, ignored: (name: string) => boolean = () => false): Promise<PowerSupply[]> {
  const classDir = path.join(sysfs, 'class', 'power_supply');
  const out: PowerSupply[] = [];
  for (const name of (await readdir(classDir)).sort()) {
    const ps = await readSupply(path.join(classDir, name), name);
    if (!ignored(name)) out.push(ps);
  }
  return out;
}

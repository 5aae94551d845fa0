import { FamilySet, type MetricType } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { DeviceFilter } from '../machinery/options.ts';
import { tryParseGoFloat } from '../kernel-files/parse.ts';
import { cleanMetricName, explodeSensorFilename, listHwmonChips, readSensorData, type SensorData } from '../sysfs/hwmon.ts';

type Emit = (name: string, help: string, value: number, labels: Record<string, string>, type?: MetricType) => void;

/** One sensor property → its metric, with node_exporter's names, units and HELP texts. */
function emitElement(emit: Emit, type: string, element: string, raw: string, data: Map<string, string>, labels: Record<string, string>): void {
  let name = `node_hwmon_${type}`;
  if (element === 'input') {
    if (data.has('')) name += '_input';
  } else if (element !== '') {
    name += `_${cleanMetricName(element)}`;
  }
  const v = tryParseGoFloat(raw);
  if (v === undefined) return;
  if (element === 'fault' || element === 'alarm') return emit(name, `Hardware sensor ${element} status (${type})`, v, labels);
  if (element === 'beep') return emit(`${name}_enabled`, 'Hardware monitor sensor has beeping enabled', v, labels);
  if (type === 'in' || type === 'cpu') return emit(`${name}_volts`, `Hardware monitor for voltage (${element})`, v * 0.001, labels);
  if (type === 'temp' && element !== 'type')
    return emit(`${name}_celsius`, `Hardware monitor for temperature (${element === '' ? 'input' : element})`, v * 0.001, labels);
  if (type === 'curr') return emit(`${name}_amps`, `Hardware monitor for current (${element})`, v * 0.001, labels);
  if (type === 'energy') return emit(`${name}_joule_total`, `Hardware monitor for joules used so far (${element})`, v / 1e6, labels, 'counter');
  if (type === 'power' && element === 'accuracy') return emit(name, 'Hardware monitor power meter accuracy, as a ratio', v / 1e6, labels);
  if (type === 'power' && ['average_interval', 'average_interval_min', 'average_interval_max'].includes(element)) {
    return emit(`${name}_seconds`, `Hardware monitor power usage update interval (${element})`, v * 0.001, labels);
  }
  if (type === 'power') return emit(`${name}_watt`, `Hardware monitor for power usage in watts (${element})`, v / 1e6, labels);
  if (type === 'humidity') {
    return emit(name, `Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (${element})`, v / 1e6, labels);
  }
  if (type === 'fan' && ['input', 'min', 'max', 'target'].includes(element))
    return emit(`${name}_rpm`, `Hardware monitor for fan revolutions per minute (${element})`, v, labels);
  if (type === 'freq') {
    // GPU clocks are labelled by their own label (sclk, mclk) instead of the sensor name.
    const label = data.get('label');
    if (element === 'input' && label !== undefined)
      emit(`${name}_freq_mhz`, 'Hardware monitor for GPU frequency in MHz', v / 1e6, { chip: labels['chip']!, sensor: cleanMetricName(label) });
    if (element === 'input') return;
  }
  emit(name, `Hardware monitor ${type} element ${element}`, v, labels);
}

function emitSensor(emit: Emit, chip: string, sensor: string, data: Map<string, string>): void {
  const type = explodeSensorFilename(sensor)?.type ?? '';
  const labels = { chip, sensor };
  const label = data.get('label');
  if (label !== undefined) emit('node_hwmon_sensor_label', 'Label for given chip and sensor', 1, { chip, sensor, label: label.toWellFormed() });
  const bare = data.get('') ?? '';
  if (type === 'beep_enable') return emit('node_hwmon_beep_enabled', 'Hardware beep enabled', bare === '1' ? 1 : 0, labels);
  if (type === 'vrm' || type === 'update_interval') {
    const v = tryParseGoFloat(bare);
    if (v === undefined) return;
    if (type === 'vrm') return emit('node_hwmon_voltage_regulator_version', 'Hardware voltage regulator', v, labels);
    return emit('node_hwmon_update_interval_seconds', 'Hardware monitor update interval', v * 0.001, labels);
  }
  for (const [element, raw] of data) if (element !== 'label') emitElement(emit, type, element, raw, data, labels);
}

function filterOf(include: RegExp | undefined, exclude: RegExp | undefined, what: string): DeviceFilter {
  if (include && exclude) throw new Error(`--collector.hwmon.${what}-include and --collector.hwmon.${what}-exclude are mutually exclusive`);
  return new DeviceFilter(include, exclude);
}

export const hwmon: CollectorDefinition = {
  name: 'hwmon',
  defaultEnabled: true,
  description: 'Expose hardware monitoring and sensor data from /sys/class/hwmon/.',
  options: [
    { name: 'collector.hwmon.chip-include', kind: 'regex', default: '', help: 'Regexp of hwmon chip to include (mutually exclusive to device-exclude).' },
    { name: 'collector.hwmon.chip-exclude', kind: 'regex', default: '', help: 'Regexp of hwmon chip to exclude (mutually exclusive to device-include).' },
    { name: 'collector.hwmon.sensor-include', kind: 'regex', default: '', help: 'Regexp of hwmon sensor to include (mutually exclusive to sensor-exclude).' },
    { name: 'collector.hwmon.sensor-exclude', kind: 'regex', default: '', help: 'Regexp of hwmon sensor to exclude (mutually exclusive to sensor-include).' },
  ],
  create: stateless(async ({ paths, options }) => {
    const chips = filterOf(options.regex('collector.hwmon.chip-include'), options.regex('collector.hwmon.chip-exclude'), 'chip');
    const sensors = filterOf(options.regex('collector.hwmon.sensor-include'), options.regex('collector.hwmon.sensor-exclude'), 'sensor');
    let list;
    try {
      list = await listHwmonChips(paths.sysfs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NoDataError('no /sys/class/hwmon');
      throw err;
    }
    const out = new FamilySet();
    const emit: Emit = (name, help, value, labels, type = 'gauge') => out.add(name, help, type, value, labels);
    const wanted = list.filter((chip) => !chips.ignored(chip.chip));
    const sensorData = await Promise.all(
      wanted.map((chip) =>
        readSensorData(chip.dir).catch((err: unknown) => {
          throw new Error(`hwmon chip ${chip.chip} (${chip.dir}): ${(err as Error).message}`, { cause: err });
        }),
      ),
    );
    for (const [i, chip] of wanted.entries()) {
      const data: SensorData = sensorData[i]!;
      if (chip.humanName) emit('node_hwmon_chip_names', 'Annotation metric for human-readable chip names', 1, { chip: chip.chip, chip_name: chip.humanName });
      for (const [sensor, values] of data) {
        // The sensor filters match "<chip>;<sensor>", as node_exporter's do.
        if (!sensors.ignored(`${chip.chip};${sensor}`)) emitSensor(emit, chip.chip, sensor, values);
      }
    }
    return out.toArray();
  }),
};

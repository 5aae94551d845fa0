import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import type { CollectorDefinition } from '../machinery/collector.ts';
import { isNotExist } from '../kernel-files/read.ts';
import { DMI_LABEL_FILES, readDmiId } from '../sysfs/dmi.ts';

const HELP =
  "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, " +
  'board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, ' +
  'chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, ' +
  'product_sku, product_uuid, product_version, system_vendor if provided by DMI.';

export const dmi: CollectorDefinition = {
  name: 'dmi',
  defaultEnabled: true,
  description: 'Expose Desktop Management Interface (DMI) info from /sys/class/dmi/id/',
  create({ paths }) {
    // DMI data only changes with a reboot: read it once, like node_exporter does at start-up.
    let labels: Record<string, string> | undefined;
    return {
      async collect() {
        if (!labels) {
          let values = new Map<string, string>();
          try {
            values = await readDmiId(paths.sysfs);
          } catch (err) {
            if (!isNotExist(err)) throw new Error(`reading DMI information: ${(err as Error).message}`, { cause: err });
          }
          labels = {};
          for (const [label, file] of Object.entries(DMI_LABEL_FILES)) {
            const v = values.get(file);
            if (v !== undefined) labels[label] = v;
          }
        }
        if (Object.keys(labels).length === 0) throw new NoDataError('platform does not provide DMI information');
        const out = new FamilySet();
        out.gauge('node_dmi_info', HELP, 1, labels);
        return out.toArray();
      },
    };
  },
};

import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readEdac } from '../sysfs/edac.ts';

export const edac: CollectorDefinition = {
  name: 'edac',
  defaultEnabled: true,
  description: 'Exposes error detection and correction statistics.',
  create: stateless(async ({ paths }) => {
    const out = new FamilySet();
    for (const mc of await readEdac(paths.sysfs)) {
      const controller = mc.controller;
      out.counter('node_edac_correctable_errors_total', 'Total correctable memory errors.', mc.correctable, { controller });
      out.counter('node_edac_csrow_correctable_errors_total', 'Total correctable memory errors for this csrow.', mc.correctableNoInfo, {
        controller,
        csrow: 'unknown',
      });
      out.counter('node_edac_uncorrectable_errors_total', 'Total uncorrectable memory errors.', mc.uncorrectable, { controller });
      out.counter('node_edac_csrow_uncorrectable_errors_total', 'Total uncorrectable memory errors for this csrow.', mc.uncorrectableNoInfo, {
        controller,
        csrow: 'unknown',
      });
      for (const row of mc.csrows) {
        const csrow = row.csrow;
        out.counter('node_edac_csrow_correctable_errors_total', 'Total correctable memory errors for this csrow.', row.correctable, { controller, csrow });
        out.counter('node_edac_csrow_uncorrectable_errors_total', 'Total uncorrectable memory errors for this csrow.', row.uncorrectable, {
          controller,
          csrow,
        });
        for (const ch of row.channels) {
          const labels = { controller, csrow, channel: ch.channel, dimm_label: ch.dimmLabel };
          out.counter('node_edac_channel_correctable_errors_total', 'Total correctable memory errors for this channel.', ch.correctable, labels);
          if (ch.uncorrectable !== undefined) {
            out.counter('node_edac_channel_uncorrectable_errors_total', 'Total uncorrectable memory errors for this channel.', ch.uncorrectable, labels);
          }
        }
      }
    }
    return out.toArray();
  }),
};

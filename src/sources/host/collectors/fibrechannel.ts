import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { MAX_UINT64 } from '../kernel-files/parse.ts';
import { FC_COUNTERS, readFcHosts, type FcCounter, type FcHost } from '../sysfs/fibrechannel.ts';

/** Metric name suffix and HELP per counter file. */
const COUNTERS: Record<FcCounter, [string, string]> = {
  dumped_frames: ['dumped_frames_total', 'Number of dumped frames'],
  error_frames: ['error_frames_total', 'Number of errors in frames'],
  invalid_crc_count: ['invalid_crc_total', 'Invalid Cyclic Redundancy Check count'],
  rx_frames: ['rx_frames_total', 'Number of frames received'],
  rx_words: ['rx_words_total', 'Number of words received by host port'],
  tx_frames: ['tx_frames_total', 'Number of frames transmitted by host port'],
  tx_words: ['tx_words_total', 'Number of words transmitted by host port'],
  seconds_since_last_reset: ['seconds_since_last_reset_total', 'Number of seconds since last host port reset'],
  invalid_tx_word_count: ['invalid_tx_words_total', 'Number of invalid words transmitted by host port'],
  link_failure_count: ['link_failure_total', 'Number of times the host port link has failed'],
  loss_of_sync_count: ['loss_of_sync_total', 'Number of failures on either bit or transmission word boundaries'],
  loss_of_signal_count: ['loss_of_signal_total', 'Number of times signal has been lost'],
  nos_count: ['nos_total', 'Number Not_Operational Primitive Sequence received by host port'],
  fcp_packet_aborts: ['fcp_packet_aborts_total', 'Number of aborted packets'],
};

export const fibrechannel: CollectorDefinition = {
  name: 'fibrechannel',
  defaultEnabled: true,
  description: 'Exposes fibre channel information and statistics from /sys/class/fc_host/.',
  create: stateless(async ({ paths }) => {
    const hosts: FcHost[] = await readOrNoData(() => readFcHosts(paths.sysfs), {
      noData: 'fibrechannel statistics not found',
      context: 'error obtaining FibreChannel class info',
    });
    const out = new FamilySet();
    for (const host of hosts) {
      const a = host.attributes;
      out.gauge('node_fibrechannel_info', 'Non-numeric data from /sys/class/fc_host/<host>, value is always 1.', 1, {
        fc_host: host.name,
        speed: a.speed ?? '',
        port_state: a.port_state ?? '',
        port_type: a.port_type ?? '',
        port_id: a.port_id ?? '',
        port_name: a.port_name ?? '',
        fabric_name: a.fabric_name ?? '',
        symbolic_name: a.symbolic_name ?? '',
        supported_classes: a.supported_classes ?? '',
        supported_speeds: a.supported_speeds ?? '',
        dev_loss_tmo: a.dev_loss_tmo ?? '',
      });
      // A disabled host has no statistics: node_exporter reports zeros for it.
      const disabled = a.port_state === undefined || a.port_state === 'Unknown';
      for (const counter of FC_COUNTERS) {
        const value = disabled ? 0n : host.counters[counter];
        // Absent, or all ones: not implemented by the HBA firmware.
        if (value === undefined || value === MAX_UINT64) continue;
        const [suffix, help] = COUNTERS[counter];
        out.counter(`node_fibrechannel_${suffix}`, help, Number(value), { fc_host: host.name });
      }
    }
    return out.toArray();
  }),
};

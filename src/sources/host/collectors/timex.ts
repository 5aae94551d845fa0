import { FamilySet, type MetricFamily } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import type { CollectorDefinition } from '../machinery/collector.ts';
import { nativeAddon, type Timex } from '../machinery/native.ts';

/** adjtimex(2)'s return value when the clock is not synchronised. */
const TIME_ERROR = 5;
/** STA_NANO: offset and PPS jitter are in nanoseconds, else microseconds. */
const STA_NANO = 0x2000;
/** freq, ppsfreq and stabil are ppm with a 16-bit binary fraction (adjtimex(2), NOTES). */
const PPM_16_FRACTION = 1e6 * 65536;
const MICROSECONDS = 1e6;

/** The kernel's NTP state as node_exporter's timex collector reports it: the same families, units and scaling. */
export function timexFamilies(t: Timex): MetricFamily[] {
  const offsetDivisor = t.status & STA_NANO ? 1e9 : MICROSECONDS;
  const out = new FamilySet();
  out.gauge('node_timex_sync_status', 'Is clock synchronized to a reliable server (1 = yes, 0 = no).', t.state === TIME_ERROR ? 0 : 1);
  out.gauge('node_timex_offset_seconds', 'Time offset in between local system and reference clock.', t.offset / offsetDivisor);
  out.gauge('node_timex_frequency_adjustment_ratio', 'Local clock frequency adjustment.', 1 + t.freq / PPM_16_FRACTION);
  out.gauge('node_timex_maxerror_seconds', 'Maximum error in seconds.', t.maxerror / MICROSECONDS);
  out.gauge('node_timex_estimated_error_seconds', 'Estimated error in seconds.', t.esterror / MICROSECONDS);
  out.gauge('node_timex_status', 'Value of the status array bits.', t.status);
  out.gauge('node_timex_loop_time_constant', 'Phase-locked loop time constant.', t.constant);
  out.gauge('node_timex_tick_seconds', 'Seconds between clock ticks.', t.tick / MICROSECONDS);
  out.gauge('node_timex_pps_frequency_hertz', 'Pulse per second frequency.', t.ppsfreq / PPM_16_FRACTION);
  out.gauge('node_timex_pps_jitter_seconds', 'Pulse per second jitter.', t.jitter / offsetDivisor);
  out.gauge('node_timex_pps_shift_seconds', 'Pulse per second interval duration.', t.shift);
  out.gauge('node_timex_pps_stability_hertz', 'Pulse per second stability, average of recent frequency changes.', t.stabil / PPM_16_FRACTION);
  out.counter('node_timex_pps_jitter_total', 'Pulse per second count of jitter limit exceeded events.', t.jitcnt);
  out.counter('node_timex_pps_calibration_total', 'Pulse per second count of calibration intervals.', t.calcnt);
  out.counter('node_timex_pps_error_total', 'Pulse per second count of calibration errors.', t.errcnt);
  out.counter('node_timex_pps_stability_exceeded_total', 'Pulse per second count of stability limit exceeded events.', t.stbcnt);
  out.gauge('node_timex_tai_offset_seconds', 'International Atomic Time (TAI) offset.', t.tai);
  return out.toArray();
}

/**
 * node_exporter's timex collector: the kernel's clock discipline state from
 * adjtimex(2) with modes 0 (read only), through the native addon. Remote write
 * carries the box's own timestamps, so this is how a fleet finds a drifting
 * clock. A refusal (EPERM: a seccomp filter without adjtimex) is no data, as
 * in node_exporter; see README "Host collectors".
 */
export const timex: CollectorDefinition = {
  name: 'timex',
  defaultEnabled: true,
  description: 'Exposes selected adjtimex(2) system call stats.',
  create: ({ log }) => ({
    collect: async () => {
      const addon = nativeAddon(log);
      let t: Timex;
      try {
        t = addon.adjtimex();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EPERM') throw new NoDataError(`adjtimex refused: ${(err as Error).message}`);
        throw err;
      }
      return timexFamilies(t);
    },
  }),
};

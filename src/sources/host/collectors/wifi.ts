/**
 * The wifi collector: WiFi interfaces, the BSS each is associated with and
 * its stations, over nl80211 (generic netlink) through the native addon, or
 * from node_exporter's JSON fixtures when --collector.wifi.fixtures is given
 * (its end-to-end test).
 */
import { FamilySet, type MetricFamily } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import type { CollectorDefinition } from '../machinery/collector.ts';
import { nativeAddon } from '../machinery/native.ts';
import { nl80211Reader } from '../netlink/nl80211.ts';
import { fixtureReader, type WifiReader, type WifiStation } from '../netlink/wifi.ts';

const FIXTURES = 'collector.wifi.fixtures';

/** Go's Duration.Seconds(): whole seconds plus the nanosecond remainder. */
function seconds(ns: number): number {
  const whole = Math.trunc(ns / 1e9);
  return whole + (ns - whole * 1e9) / 1e9;
}

/** wifi.BSSStatus: authenticated (0) or associated (1) is a client, IBSS joined (3) ad-hoc. */
function bssMode(status: number): string {
  if (status === 0 || status === 1) return 'client';
  if (status === 3) return 'ad-hoc';
  return 'unknown';
}

function addStation(out: FamilySet, device: string, s: WifiStation): void {
  const labels = { device, mac_address: s.hardwareAddr };
  out.counter(
    'node_wifi_station_connected_seconds_total',
    'The total number of seconds a station has been connected to an access point.',
    seconds(s.connectedNs),
    labels,
  );
  out.gauge(
    'node_wifi_station_inactive_seconds',
    'The number of seconds since any wireless activity has occurred on a station.',
    seconds(s.inactiveNs),
    labels,
  );
  out.gauge('node_wifi_station_receive_bits_per_second', 'The current WiFi receive bitrate of a station, in bits per second.', s.receiveBitrate, labels);
  out.gauge('node_wifi_station_transmit_bits_per_second', 'The current WiFi transmit bitrate of a station, in bits per second.', s.transmitBitrate, labels);
  out.counter('node_wifi_station_receive_bytes_total', 'The total number of bytes received by a WiFi station.', s.receivedBytes, labels);
  out.counter('node_wifi_station_transmit_bytes_total', 'The total number of bytes transmitted by a WiFi station.', s.transmittedBytes, labels);
  out.gauge('node_wifi_station_signal_dbm', 'The current WiFi signal strength, in decibel-milliwatts (dBm).', s.signal, labels);
  out.counter(
    'node_wifi_station_transmit_retries_total',
    'The total number of times a station has had to retry while sending a packet.',
    s.transmitRetries,
    labels,
  );
  out.counter('node_wifi_station_transmit_failed_total', 'The total number of times a station has failed to send a packet.', s.transmitFailed, labels);
  out.counter('node_wifi_station_beacon_loss_total', 'The total number of times a station has detected a beacon loss.', s.beaconLoss, labels);
  out.counter('node_wifi_station_transmitted_packets_total', 'The total number of packets transmitted by a station.', s.transmittedPackets, labels);
  out.counter('node_wifi_station_received_packets_total', 'The total number of packets received by a station.', s.receivedPackets, labels);
}

/** node_exporter's wifi families from what `reader` gives; interfaces without a name are skipped, as there. */
export async function wifiFamilies(reader: WifiReader): Promise<MetricFamily[]> {
  const out = new FamilySet();
  for (const ifi of await reader.interfaces()) {
    if (ifi.name === '') continue;
    out.gauge('node_wifi_interface_frequency_hertz', 'The current frequency a WiFi interface is operating at, in hertz.', ifi.frequency * 1000 * 1000, {
      device: ifi.name,
    });
    const bss = await reader.bss(ifi);
    if (bss)
      out.gauge('node_wifi_station_info', 'Labeled WiFi interface station information as provided by the operating system.', 1, {
        device: ifi.name,
        bssid: bss.bssid,
        ssid: bss.ssid,
        mode: bssMode(bss.status),
      });
    for (const station of (await reader.stations(ifi)) ?? []) addStation(out, ifi.name, station);
  }
  return out.toArray();
}

export const wifi: CollectorDefinition = {
  name: 'wifi',
  defaultEnabled: false,
  description: 'Exposes WiFi device and station statistics.',
  options: [
    { name: FIXTURES, kind: 'string', default: '', path: true, help: 'test fixtures to use for wifi collector metrics (a directory holding interfaces.json).' },
  ],
  create: ({ options, log }) => {
    const dir = options.string(FIXTURES);
    return {
      collect: async () => {
        const reader = dir === '' ? nl80211Reader(nativeAddon(log).netlinkRequest) : fixtureReader(dir);
        if (!reader) throw new NoDataError('wifi collector metrics are not available for this system: the kernel has no nl80211 (cfg80211)');
        return wifiFamilies(reader);
      },
    };
  },
};

/**
 * What the wifi collector reads, from nl80211 (nl80211.ts) or from
 * node_exporter's wifi fixtures: interfaces.json, and <device>/bss.json and
 * <device>/stationinfo.json.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isNotFound } from '../kernel-files/read.ts';
import { asArray, asObject, bytesField, INT64, intField, parseJson, stringField } from './go-json.ts';

export interface WifiInterface {
  name: string;
  /** MHz */
  frequency: number;
  /** nl80211 only: what per-interface requests name the interface by. */
  index?: number;
  hardwareAddr?: Buffer;
}

export interface WifiBss {
  ssid: string;
  bssid: string;
  status: number;
}

export interface WifiStation {
  hardwareAddr: string;
  /** Durations in nanoseconds, as Go's time.Duration. */
  connectedNs: number;
  inactiveNs: number;
  receivedBytes: number;
  transmittedBytes: number;
  receivedPackets: number;
  transmittedPackets: number;
  receiveBitrate: number;
  transmitBitrate: number;
  signal: number;
  transmitRetries: number;
  transmitFailed: number;
  beaconLoss: number;
}

/** The BSS and stations are undefined where the interface has none (node_exporter then skips them). */
export interface WifiReader {
  interfaces(): Promise<WifiInterface[]>;
  bss(ifi: WifiInterface): Promise<WifiBss | undefined>;
  stations(ifi: WifiInterface): Promise<WifiStation[] | undefined>;
}

export function fixtureReader(dir: string): WifiReader {
  return { interfaces: () => readWifiInterfaces(dir), bss: (ifi) => readWifiBss(dir, ifi.name), stations: (ifi) => readWifiStations(dir, ifi.name) };
}

/** net.HardwareAddr.String(): lower-case hex bytes joined by colons. */
export function formatMac(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

async function readJson(file: string): Promise<unknown> {
  return parseJson(await readFile(file, 'utf8'), file);
}

/** A per-interface fixture file; undefined when the interface has none (node_exporter then skips it). */
async function readJsonIfExists(file: string): Promise<unknown> {
  try {
    return await readJson(file);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const int = (o: Record<string, unknown>, name: string, where: string): number => intField(o, name, where, INT64.min, INT64.max);

async function readWifiInterfaces(dir: string): Promise<WifiInterface[]> {
  const file = path.join(dir, 'interfaces.json');
  return asArray(await readJson(file), file).map((item, i) => {
    const o = asObject(item, `${file}[${i}]`);
    return { name: stringField(o, 'Name', file), frequency: int(o, 'Frequency', file) };
  });
}

/** The interface's BSS, or undefined when it has none (no bss.json). */
async function readWifiBss(dir: string, device: string): Promise<WifiBss | undefined> {
  const file = path.join(dir, device, 'bss.json');
  const json = await readJsonIfExists(file);
  if (json === undefined) return undefined;
  const o = asObject(json, file);
  return { ssid: stringField(o, 'SSID', file), bssid: formatMac(bytesField(o, 'BSSID', file)), status: int(o, 'Status', file) };
}

/** The interface's stations, or undefined when it has no station information (no stationinfo.json). */
async function readWifiStations(dir: string, device: string): Promise<WifiStation[] | undefined> {
  const file = path.join(dir, device, 'stationinfo.json');
  const json = await readJsonIfExists(file);
  if (json === undefined) return undefined;
  return asArray(json, file).map((item, i) => {
    const w = `${file}[${i}]`;
    const o = asObject(item, w);
    return {
      hardwareAddr: formatMac(bytesField(o, 'HardwareAddr', w)),
      connectedNs: int(o, 'Connected', w),
      inactiveNs: int(o, 'Inactive', w),
      receivedBytes: int(o, 'ReceivedBytes', w),
      transmittedBytes: int(o, 'TransmittedBytes', w),
      receivedPackets: int(o, 'ReceivedPackets', w),
      transmittedPackets: int(o, 'TransmittedPackets', w),
      receiveBitrate: int(o, 'ReceiveBitrate', w),
      transmitBitrate: int(o, 'TransmitBitrate', w),
      signal: int(o, 'Signal', w),
      transmitRetries: int(o, 'TransmitRetries', w),
      transmitFailed: int(o, 'TransmitFailed', w),
      beaconLoss: int(o, 'BeaconLoss', w),
    };
  });
}

/**
 * One simulated box's local configuration file, as a package would install
 * it on a real box: its identity, static labels, state directory, the two
 * exporters it scrapes, the sharded Pushgateway tier (none when the drill
 * runs without one), both remote-write
 * receivers and the remote configuration URL. The host source is off: its
 * recorded collection is replayed as an exporter with job `node` (a live
 * collection per simulated box would measure this machine's /proc 1,000
 * times over, not the fleet).
 */
import path from 'node:path';

export interface FleetTargets {
  intervalSeconds: number;
  /** The Pushgateway tier; empty: no tier (a remote-write-only fleet). */
  gateways: string[];
  /** Remote-write receivers by sink name (`vm`, `prom`). */
  receivers: Record<string, string>;
  configServer: string;
  /** The public keys the boxes accept layers signed by (the configuration server's). */
  trustedKeysFile: string;
  remoteConfigIntervalSeconds: number;
  /** The tier's failover_after and failback_after. */
  failoverSeconds: number;
  failbackSeconds: number;
  /** Each remote-write sink's drain_start_rate; the agent's default when absent. */
  drainStartRate?: number;
}

export interface BoxSpec {
  index: number;
  instance: string;
  labels: Record<string, string>;
  stateDir: string;
  configFile: string;
}

function boxName(index: number): string {
  return `box-${String(index).padStart(4, '0')}`;
}

export function boxSpec(root: string, index: number): BoxSpec {
  const instance = boxName(index);
  const dir = path.join(root, instance);
  return {
    index,
    instance,
    labels: { site: `site-${index % 10}`, customer: `customer-${index % 7}` },
    stateDir: path.join(dir, 'state'),
    configFile: path.join(dir, 'edgepush.ini'),
  };
}

/** `exporterBase`: the worker's exporter server, serving `/<instance>/node` and `/<instance>/app`. */
export function boxConfigText(box: BoxSpec, targets: FleetTargets, exporterBase: string): string {
  const timeout = Math.max(0.5, Math.min(10, targets.intervalSeconds * 0.8));
  const receivers = Object.entries(targets.receivers).map(
    ([name, url]) =>
      `[remote_write.${name}]\nurl = ${url}\nmin_backoff = 100ms\nmax_backoff = ${Math.max(1, Math.min(5, targets.intervalSeconds))}s\n` +
      (targets.drainStartRate !== undefined ? `drain_start_rate = ${targets.drainStartRate}\n` : ''),
  );
  return [
    `[agent]\ninterval = ${targets.intervalSeconds}s\ntimeout = ${timeout}s\nstate_dir = ${box.stateDir}\nlog_level = warn\n`,
    `[identity]\ninstance_from = literal\ninstance = ${box.instance}\n`,
    `[labels]\n${Object.entries(box.labels)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join('')}`,
    '[host]\nenabled = false\n',
    `[exporter.node]\nurl = ${exporterBase}/${box.instance}/node\n`,
    `[exporter.app]\nurl = ${exporterBase}/${box.instance}/app\n`,
    ...(targets.gateways.length
      ? [
          `[pushgateway.tier]\n${targets.gateways.map((g) => `url[] = ${g}\n`).join('')}failover_after = ${targets.failoverSeconds}s\nfailback_after = ${targets.failbackSeconds}s\nretry_backoff = 100ms\n`,
        ]
      : []),
    ...receivers,
    `[remote_config]\nurl = ${targets.configServer}/layers/{instance}.ini\ninterval = ${targets.remoteConfigIntervalSeconds}s\ntrusted_keys = ${targets.trustedKeysFile}\n`,
  ].join('\n');
}

/**
 * The agent run by its CLI on a box whose configuration comes from a layer
 * served over HTTP, and the Pushgateway groups it pushed: the [remote_config]
 * integration tests. The box collects one host collector from the fixture
 * tree every second, so a test sees pushes quickly.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startCli } from './cli.ts';
import { FIXTURE_PROC } from './fixtures.ts';
import { waitFor } from './wait.ts';

/** A config server on 127.0.0.1 answering every request with the current `layer()`; records the request headers. */
export async function serveLayer(layer: () => string, requests: IncomingHttpHeaders[] = []): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    requests.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(layer());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/edgepush/{instance}.ini` };
}

/** Writes `<dir>/edgepush.ini` for `instance`, fetching its layer from `layerUrl` every second; returns its path. */
export function writeRemoteConfigBox(dir: string, instance: string, layerUrl: string, remoteConfigExtra = ''): string {
  const configFile = path.join(dir, 'edgepush.ini');
  writeFileSync(
    configFile,
    `[agent]\ninterval = 1s\ntimeout = 700ms\nstate_dir = ${dir}/state\nlog_level = info\n[identity]\ninstance = ${instance}\n[host]\ncollector.disable-defaults = true\ncollector.loadavg = true\npath.procfs = ${FIXTURE_PROC}\n` +
      `[remote_config]\nurl = ${layerUrl}\ninterval = 1s\n${remoteConfigExtra}`,
  );
  return configFile;
}

/** `edgepush run` on that box; its log accumulates across restarts. */
export class CliAgent {
  log = '';
  process: ChildProcess | undefined;
  private readonly configFile: string;

  constructor(configFile: string) {
    this.configFile = configFile;
  }

  start(): void {
    this.process = startCli(['run', `--config.file=${this.configFile}`, `--config.defaults=${path.dirname(this.configFile)}/none.ini`], (d) => (this.log += d));
  }

  /** SIGTERM; the agent must exit 0. */
  async stop(): Promise<void> {
    const a = this.process!;
    const exited = once(a, 'exit');
    a.kill('SIGTERM');
    await exited;
    assert.equal(a.exitCode, 0, this.log.slice(-2000));
  }

  /** After the tests, whatever state they left it in. */
  kill(): void {
    if (this.process && this.process.exitCode === null) this.process.kill('SIGKILL');
  }
}

export interface GatewayGroup {
  labels: Record<string, string>;
  push_time_seconds?: { metrics?: Array<{ value: string }> };
  [metric: string]: unknown;
}

/** The groups `instance` pushed to the gateway (its /api/v1/metrics). */
export async function instanceGroups(gatewayUrl: string, instance: string): Promise<GatewayGroup[]> {
  const body = (await (await fetch(`${gatewayUrl}/api/v1/metrics`)).json()) as { data: GatewayGroup[] };
  return body.data.filter((g) => g.labels['instance'] === instance);
}

function pushTime(group: GatewayGroup | undefined): number {
  return Number(group?.push_time_seconds?.metrics?.[0]?.value ?? 0);
}

/** Waits for a push of `job` by `instance` later than `t` (seconds since the epoch). */
export async function pushedAfter(gatewayUrl: string, instance: string, job: string, t: number): Promise<void> {
  await waitFor(`a push of ${job} after ${t}`, async () => pushTime((await instanceGroups(gatewayUrl, instance)).find((g) => g.labels['job'] === job)) > t, {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
}

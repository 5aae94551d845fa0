/**
 * Real peers (Debian's binaries) started on random loopback ports for
 * integration tests, and stopped afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensurePeer, peerAvailable, type PeerName } from '../../scripts/lib/peers.ts';
import { waitFor } from './wait.ts';

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  /** Output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
  /** Stops the process but keeps its data (an outage). */
  pause(): Promise<void>;
  /** Starts it again on the same port with the same data, and waits until it is ready. */
  resume(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Why an integration test must be skipped, or undefined when every peer it needs can be had. */
export function missingPeers(...names: PeerName[]): string | undefined {
  for (const n of names) {
    const r = peerAvailable(n);
    if (!r.ok) return `test peer ${n} unavailable: ${r.reason}`;
  }
  return undefined;
}

/** How a server's command line is run: as is, or wrapped (e.g. joining a cgroup first, `inCgroup`); the wrapper must exec the command. */
export type Launcher = (command: string, args: readonly string[]) => { command: string; args: string[] };

async function startServer(
  binary: string,
  args: (port: number, dataDir: string) => string[],
  readyPath: string,
  name: string,
  launcher: Launcher = (command, a) => ({ command, args: [...a] }),
): Promise<RunningServer> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `edgepush-${name}-`));
    const url = `http://127.0.0.1:${port}`;
    let out = '';
    let exited = false;
    const launch = (): ChildProcess => {
      const line = launcher(binary, args(port, dataDir));
      const child = spawn(line.command, line.args, { stdio: ['ignore', 'pipe', 'pipe'] });
      exited = false;
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-20_000)));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (out = (out + d).slice(-20_000)));
      child.on('exit', () => (exited = true));
      return child;
    };
    const ready = (): Promise<boolean> =>
      waitFor(
        `${name} on ${url}`,
        async () => {
          if (exited) throw new Error(`${name} exited: ${out.slice(-2000)}`);
          const res = await fetch(url + readyPath);
          await res.arrayBuffer();
          return res.ok;
        },
        { timeoutMs: 30_000 },
      );
    const terminate = async (): Promise<void> => {
      if (exited) return;
      server.process.kill('SIGTERM');
      await waitFor(`${name} to exit`, () => exited, { timeoutMs: 10_000 }).catch(() => server.process.kill('SIGKILL'));
    };
    const server: RunningServer = {
      url,
      port,
      dataDir,
      process: launch(),
      output: () => out,
      stop: async () => {
        await terminate();
        rmSync(dataDir, { recursive: true, force: true });
      },
      pause: terminate,
      resume: async () => {
        if (!exited) return;
        server.process = launch();
        await ready();
      },
    };
    try {
      await ready();
      return server;
    } catch (err) {
      lastErr = err;
      await server.stop();
    }
  }
  throw lastErr;
}

export async function startPushgateway(extraArgs: string[] = []): Promise<RunningServer> {
  const { pushgateway } = ensurePeer('pushgateway');
  return startServer(pushgateway, (port) => [`--web.listen-address=127.0.0.1:${port}`, ...extraArgs], '/-/ready', 'pushgateway');
}

export async function startNodeExporter(extraArgs: string[] = []): Promise<RunningServer> {
  const bin = ensurePeer('nodeExporter')['node-exporter'];
  return startServer(bin, (port) => [`--web.listen-address=127.0.0.1:${port}`, ...extraArgs], '/metrics', 'node-exporter');
}

/** Prometheus with the given scrape config YAML (may be empty), the remote-write receiver on, and a short lookback where asked. */
export async function startPrometheus(configYaml: string, extraArgs: string[] = []): Promise<RunningServer> {
  const { prometheus } = ensurePeer('prometheus');
  return startServer(
    prometheus,
    (port, dataDir) => {
      const configFile = path.join(dataDir, 'prometheus.yml');
      writeFileSync(configFile, configYaml);
      return [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dataDir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--web.enable-lifecycle',
        ...extraArgs,
      ];
    },
    '/-/ready',
    'prometheus',
  );
}

/** `launcher`: how to run it, every time it starts (resume included), e.g. inside a CPU cgroup. */
export async function startVictoriaMetrics(extraArgs: string[] = [], launcher?: Launcher): Promise<RunningServer> {
  const bin = ensurePeer('victoriametrics')['victoria-metrics'];
  return startServer(
    bin,
    (port, dataDir) => [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${path.join(dataDir, 'data')}`, ...extraArgs],
    '/health',
    'victoria-metrics',
    launcher,
  );
}

/** Raw samples of one series from VictoriaMetrics' export API. */
export async function victoriaMetricsRaw(vm: RunningServer, selector: string): Promise<Array<{ ts: number; value: number }>> {
  const res = await fetch(`${vm.url}/api/v1/export?match[]=${encodeURIComponent(selector)}`);
  const lines = (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { timestamps: number[]; values: number[] });
  if (lines.length > 1) throw new Error(`${selector} matched ${lines.length} series`);
  const l = lines[0];
  return l ? l.timestamps.map((ts, i) => ({ ts, value: l.values[i]! })) : [];
}

/** Runs a PromQL instant query against Prometheus or VictoriaMetrics, at `timeSeconds` (default now). */
export async function promQuery(
  baseUrl: string,
  query: string,
  timeSeconds?: number,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(query)}${timeSeconds === undefined ? '' : `&time=${timeSeconds}`}`);
  const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${query} failed: ${body.error ?? res.status}`);
  return body.data.result;
}

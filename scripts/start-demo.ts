/**
 * `npm start`: the agent from source, pushing this machine's host metrics and
 * one local exporter (a tiny demo app served by this script) to a real
 * Pushgateway on 127.0.0.1:9091 — the one already listening there, or
 * Debian's prometheus-pushgateway started here (fetched by scripts/lib/peers.ts,
 * no root needed), and served on a local /metrics (the listener sink) on a free
 * port. Ctrl-C stops everything it started.
 * Extra arguments go to `edgepush run`, e.g. `npm start -- --log.level=debug`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ensurePeer, REPO_ROOT } from './lib/peers.ts';

const GATEWAY_PORT = Number(process.env['EDGEPUSH_DEMO_GATEWAY_PORT'] ?? 9091);
const GATEWAY = `http://127.0.0.1:${GATEWAY_PORT}`;
const children: ChildProcess[] = [];

/** EDGEPUSH_DEMO_LISTENER_PORT, or a port the kernel gives as free (the agent binds it a moment later). */
async function listenerPort(): Promise<number> {
  const given = process.env['EDGEPUSH_DEMO_LISTENER_PORT'];
  if (given) return Number(given);
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
const workDir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-demo-'));

async function isPushgateway(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/v1/status`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { status?: string };
    return res.ok && body.status === 'success';
  } catch {
    return false;
  }
}

async function ensureGateway(): Promise<'reused' | 'started'> {
  if (await isPushgateway(GATEWAY)) return 'reused';
  const { pushgateway } = ensurePeer('pushgateway');
  const child = spawn(pushgateway, [`--web.listen-address=127.0.0.1:${GATEWAY_PORT}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)));
  children.push(child);
  const deadline = Date.now() + 20_000;
  while (!(await isPushgateway(GATEWAY))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `the Pushgateway did not come up on ${GATEWAY} (is port ${GATEWAY_PORT} taken by something else? set EDGEPUSH_DEMO_GATEWAY_PORT):\n${log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return 'started';
}

/** A stand-in for a local exporter (an app's /metrics): a counter and a gauge that move. */
function startDemoExporter(): Promise<string> {
  const started = Date.now();
  let requests = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    requests++;
    const body = [
      '# HELP demo_app_requests_total Requests served by the demo app.',
      '# TYPE demo_app_requests_total counter',
      `demo_app_requests_total{path="/api/orders"} ${requests * 3}`,
      `demo_app_requests_total{path="/static/app.js"} ${requests * 7}`,
      '# HELP demo_app_uptime_seconds Seconds since the demo app started.',
      '# TYPE demo_app_uptime_seconds gauge',
      `demo_app_uptime_seconds ${((Date.now() - started) / 1000).toFixed(1)}`,
      '',
    ].join('\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  server.unref();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`)));
}

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(workDir, { recursive: true, force: true });
}

const gateway = await ensureGateway().catch((err: unknown) => {
  console.error(`npm start: ${(err as Error).message}`);
  cleanup();
  process.exit(1);
});
const exporterUrl = await startDemoExporter();
const LISTENER = `127.0.0.1:${await listenerPort()}`;
const instance = os.hostname();
const stateDir = path.join(workDir, 'state');
mkdirSync(stateDir);
const configFile = path.join(workDir, 'edgepush.ini');
writeFileSync(
  configFile,
  `; npm start's demo configuration (see packaging/edgepush.ini for every key)
[agent]
interval = 5s
timeout = 4s
splay = false
state_dir = ${stateDir}
log_level = info

[identity]
instance = ${instance}

[labels]
site = demo

[exporter.demo-app]
url = ${exporterUrl}

[pushgateway.local]
url = ${GATEWAY}

[listener.local]
address = ${LISTENER}
`,
);

const agent = spawn(
  process.execPath,
  ['--no-warnings', path.join(REPO_ROOT, 'src', 'cli.ts'), 'run', `--config.file=${configFile}`, '--config.defaults=/nonexistent', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
children.push(agent);

console.log(`
edgepush is running from source (pid ${agent.pid}), pushing every 5 s to the Pushgateway on ${GATEWAY} (${gateway === 'started' ? "Debian's prometheus-pushgateway, started for this demo" : 'already running, reused'}).

  Where to look:
    ${GATEWAY}/                      the Pushgateway's page: one group per source,
                                               job=node (host), job=demo-app (the local exporter), job=edgepush (the agent itself),
                                               each with instance="${instance}" and site="demo"
    curl -s ${GATEWAY}/metrics | grep 'instance="${instance}"' | grep -E '^(up|node_load1|demo_app)'
    curl -s http://${LISTENER}/metrics | grep -E '^(up|node_load1|demo_app)'
                                               the same cycle served by edgepush itself (the listener sink)
    ${configFile}
                                               the demo configuration: edit it, then \`kill -HUP ${agent.pid}\` to reload

  Logs (logfmt) follow. Ctrl-C stops the agent${gateway === 'started' ? ' and the Pushgateway' : ''}.
`);

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (agent.exitCode === null) agent.kill('SIGTERM');
  });
}
agent.on('exit', (code) => {
  cleanup();
  process.exit(code ?? 0);
});

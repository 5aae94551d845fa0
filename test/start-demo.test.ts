import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './helpers/fixtures.ts';
import { freePort, missingPeers } from './helpers/servers.ts';
import { waitFor } from './helpers/wait.ts';

const skip = missingPeers('pushgateway');

test('npm start pushes host metrics and the demo exporter to a Pushgateway it starts, serves them on its listener, and says where to look', {
  skip,
}, async () => {
  const port = await freePort();
  const listenerPort = await freePort();
  const child = spawn(process.execPath, ['--no-warnings', path.join(REPO_ROOT, 'scripts', 'start-demo.ts')], {
    env: { ...process.env, EDGEPUSH_DEMO_GATEWAY_PORT: String(port), EDGEPUSH_DEMO_LISTENER_PORT: String(listenerPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const instance = os.hostname();
    const text = await waitFor(
      'demo groups on the gateway',
      async () => {
        const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return ['node', 'demo-app', 'edgepush'].every((job) => body.includes(`up{instance="${instance}",job="${job}",site="demo"} 1`)) ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.match(text, /demo_app_requests_total\{instance="[^"]+",job="demo-app",path="\/api\/orders",site="demo"\} \d+/);
    assert.match(text, /node_load1\{instance="[^"]+",job="node",site="demo"\}/);
    assert.match(out, new RegExp(`http://127.0.0.1:${port}/`));
    const served = await (await fetch(`http://127.0.0.1:${listenerPort}/metrics`)).text();
    assert.match(served, new RegExp(`^up\\{instance="${instance}",job="demo-app",site="demo"\\} 1$`, 'm'));
    assert.match(out, new RegExp(`curl -s http://127.0.0.1:${listenerPort}/metrics`));
    assert.match(out, /kill -HUP \d+/);
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, out);
  // The gateway it started is stopped with it.
  await waitFor('gateway stopped', async () => {
    try {
      await fetch(`http://127.0.0.1:${port}/-/ready`);
      return false;
    } catch {
      return true;
    }
  });
});

/**
 * The package's real life on a booted systemd: a debootstrapped Debian root
 * run with systemd-nspawn --boot, a real Pushgateway on the host's loopback.
 * install → active, enabled, pushing; reboot → back and pushing; an edited
 * edgepush.ini survives an upgrade to a newer version, which then runs;
 * remove → stopped and disabled; purge → groups deleted at the gateway, files
 * and user gone. Skipped, with the reason, where systemd cannot be booted.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CACHE_DIR, packageVersion } from '../../scripts/lib/build.ts';
import { freePort, missingPeers, startPushgateway, type RunningServer } from '../helpers/servers.ts';
import { waitFor } from '../helpers/wait.ts';
import { ensurePackage } from './build-once.ts';
import { BootedRoot, bootedRootUnavailable, copyRoot, ensureDebianRoot } from './debian-root.ts';

const NEXT_VERSION = bumpPatch(packageVersion());

function bumpPatch(v: string): string {
  const [major, minor, patch] = v.split('.');
  return `${major}.${minor}.${Number(patch) + 1}`;
}

interface Group {
  labels: Record<string, string>;
  pushTime: number;
}

/** The Pushgateway's groups (its /api/v1/metrics), with their push_time_seconds. */
async function groups(gateway: RunningServer): Promise<Group[]> {
  const res = await fetch(`${gateway.url}/api/v1/metrics`);
  const body = (await res.json()) as { data: Array<{ labels: Record<string, string>; push_time_seconds?: { metrics: Array<{ value: string }> } }> };
  return body.data.map((g) => ({ labels: g.labels, pushTime: Number(g.push_time_seconds?.metrics[0]?.value ?? 0) }));
}

async function pushedAfter(gateway: RunningServer, instance: string, since: number, timeoutMs = 60_000): Promise<Group> {
  return waitFor(
    `a push from ${instance} after ${new Date(since * 1000).toISOString()}`,
    async () => (await groups(gateway)).find((g) => g.labels['job'] === 'node' && g.labels['instance'] === instance && g.pushTime > since),
    { timeoutMs, intervalMs: 250 },
  );
}

/**
 * The memory limit the kernel enforces on the service's cgroup, read inside
 * the container: memory.max (cgroup v2) or memory.limit_in_bytes (v1); empty
 * when neither file of the service can be seen there.
 */
const ENFORCED_MEMORY_LIMIT = `
pid=$(systemctl show -p MainPID --value edgepush)
v2=$(awk -F: '$1 == "0" { print $3 }' /proc/$pid/cgroup)
v1=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/$pid/cgroup)
for f in /sys/fs/cgroup$v2/memory.max /sys/fs/cgroup/memory$v1/memory.limit_in_bytes /sys/fs/cgroup/memory/system.slice/edgepush.service/memory.limit_in_bytes; do
  [ -n "$v2$v1" ] && [ -r "$f" ] && { cat "$f"; exit 0; }
done
exit 0`;

const skipReason = bootedRootUnavailable() ?? missingPeers('pushgateway');

let work: string;
let container: BootedRoot | undefined;
let gateway: RunningServer | undefined;
/** Serves the [remote_config] layer: a static label, so its arrival shows in the gateway's groups. */
let layerServer: Server | undefined;
let bootProblem: string | undefined;

before(async () => {
  if (skipReason) return;
  const [pristine, deb, nextDeb] = await Promise.all([ensureDebianRoot(), ensurePackage('deb', 'x64'), ensurePackage('deb', 'x64', { version: NEXT_VERSION })]);
  work = mkdtempSync(path.join(CACHE_DIR, 'lifecycle-'));
  const root = path.join(work, 'root');
  copyRoot(pristine, root);
  copyFileSync(deb, path.join(root, 'root', 'edgepush-current.deb'));
  copyFileSync(nextDeb, path.join(root, 'root', 'edgepush-next.deb'));
  gateway = await startPushgateway();
  layerServer = createServer((_req, res) => res.writeHead(200).end('[labels]\nfleet = remote\n'));
  await new Promise<void>((resolve) => layerServer!.listen(0, '127.0.0.1', resolve));
  container = new BootedRoot(root, `edgepush-t${process.pid}`);
  bootProblem = await container.bootOrReason();
});

after(async () => {
  await container?.shutdown();
  await gateway?.stop();
  layerServer?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('install, reboot, crash loop, upgrade keeping the config, broken config, remove, purge on a booted systemd', async (t) => {
  if (skipReason || bootProblem) {
    t.skip(skipReason ?? bootProblem);
    return;
  }
  const c = container!;
  const gw = gateway!;
  const sh = (script: string): Promise<string> => c.must(['sh', '-c', script]);
  // The agent's default identity: the root's hostname.
  const instance = (await c.must(['hostname'])).trim();

  // Points the agent at the test gateway before the package starts it, and opens a listener
  // (the container shares the host's network, so the test reaches it on loopback).
  const listenerPort = await freePort();
  await sh(`mkdir -p /etc/edgepush/conf.d && cat > /etc/edgepush/conf.d/50-test.ini <<'EOF'
[agent]
interval = 2s
timeout = 1s
[pushgateway.test]
url = ${gw.url}
timeout = 1s
[listener.test]
address = 127.0.0.1:${listenerPort}
[remote_config]
url = http://127.0.0.1:${(layerServer!.address() as AddressInfo).port}/edgepush.ini
interval = 2s
EOF`);

  await t.test('install: started, enabled, pushing as the edgepush user', async () => {
    const start = Date.now() / 1000;
    await c.must(['dpkg', '-i', '/root/edgepush-current.deb']);
    assert.equal((await c.exec(['systemctl', 'is-enabled', 'edgepush'])).stdout.trim(), 'enabled');
    await waitFor('edgepush active', async () => (await c.exec(['systemctl', 'is-active', 'edgepush'])).stdout.trim() === 'active');
    await pushedAfter(gw, instance, start);
    assert.match(await sh('ps -o user= -p "$(systemctl show -p MainPID --value edgepush)"'), /^edgepush$/m, 'the service runs as the edgepush user');
    assert.match(await sh('stat -c %U:%G:%a /var/lib/edgepush /var/lib/edgepush/textfile'), /^edgepush:edgepush:750\nedgepush:edgepush:750\n$/);
    const journal = await c.must(['journalctl', '-u', 'edgepush', '--no-pager', '-o', 'cat']);
    assert.doesNotMatch(journal, /textfile.*ENOENT/, 'the textfile directory exists');
    // The unit's hardening (system call filter, address families, no capabilities) lets it serve a port.
    const served = await waitFor('the listener serving under the unit', async () => {
      const res = await fetch(`http://127.0.0.1:${listenerPort}/metrics`).catch(() => undefined);
      return res?.status === 200 ? res.text() : undefined;
    });
    assert.match(served, new RegExp(`^up\\{[^}]*instance="${instance}",job="node"[^}]*\\} 1$`, 'm'));
    // The native part loads under the unit's hardening (private /tmp, system call filter allowing adjtimex):
    // timex is in the pushes, and so is the agent's process_* under the host job.
    const timexSuccess = new RegExp(`^node_scrape_collector_success\\{collector="timex",[^}]*instance="${instance}"[^}]*\\} (\\d)$`, 'm');
    const pushed = await waitFor('timex reported from the booted box', async () => {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      return timexSuccess.test(text) ? text : undefined;
    });
    const why = async (): Promise<string> => `journal:\n${await c.must(['journalctl', '-u', 'edgepush', '--no-pager', '-o', 'cat'])}`;
    if (timexSuccess.exec(pushed)?.[1] !== '1') assert.fail(`timex failed under the unit; ${await why()}`);
    assert.match(pushed, new RegExp(`^node_timex_tick_seconds\\{[^}]*instance="${instance}"[^}]*job="node"[^}]*\\} `, 'm'));
    assert.match(pushed, new RegExp(`^process_resident_memory_bytes\\{[^}]*instance="${instance}"[^}]*job="node"[^}]*\\} `, 'm'));
    assert.doesNotMatch(await why(), /native addon not loaded/);
    // The remote layer, fetched, cached in the state directory and applied under the unit's hardening.
    await waitFor('the remote layer applied', async () => (await groups(gw)).some((g) => g.labels['instance'] === instance && g.labels['fleet'] === 'remote'));
    assert.match(await sh('stat -c %U /var/lib/edgepush/remote-config.ini'), /^edgepush$/m);
    // The unit's memory budget is in force, and the agent ran all of the above inside it.
    assert.equal((await c.must(['systemctl', 'show', '-p', 'MemoryMax', '--value', 'edgepush'])).trim(), String(192 * 1024 * 1024));
    const enforced = (await sh(ENFORCED_MEMORY_LIMIT)).trim();
    if (enforced === '')
      t.diagnostic('no memory cgroup file of the service is visible inside this container; the unit property is checked, not its enforcement');
    else assert.equal(enforced, String(192 * 1024 * 1024), 'the memory cgroup of the service carries MemoryMax');
    assert.equal((await c.must(['systemctl', 'show', '-p', 'NRestarts', '--value', 'edgepush'])).trim(), '0', 'never restarted (no OOM kill) while pushing');
    assert.doesNotMatch(await c.must(['journalctl', '-u', 'edgepush', '--no-pager', '-o', 'cat']), /oom-kill|out of memory/i);
  });

  await t.test('reboot: back and pushing', async () => {
    await c.reboot();
    const booted = Date.now() / 1000;
    await waitFor('edgepush active after reboot', async () => (await c.exec(['systemctl', 'is-active', 'edgepush'])).stdout.trim() === 'active');
    await pushedAfter(gw, instance, booted);
  });

  await t.test('crash loop: systemd restarts it and edgepush backs off, then it pushes again', async () => {
    const mainPid = async (): Promise<string> => (await sh('systemctl show -p MainPID --value edgepush')).trim();
    // Two crashes in a row, each soon after its start: the start after the second one waits.
    for (let crash = 0; crash < 2; crash++) {
      const before = await mainPid();
      // The main process alone, as a crash is: signalling the whole cgroup ("auxiliary processes") failed
      // once with EIO on a cgroup-v1 host while another booted container was running beside this one.
      await c.must(['systemctl', 'kill', '--kill-whom=main', '-s', 'SIGKILL', 'edgepush']);
      await waitFor(`restart after crash ${crash + 1}`, async () => {
        const pid = await mainPid();
        return pid !== '0' && pid !== before;
      });
    }
    const journal = await waitFor('the back-off in the journal', async () => {
      const text = await c.must(['journalctl', '-u', 'edgepush', '--no-pager', '-o', 'cat']);
      return /msg="the previous run failed soon after starting; waiting before starting again" failures=[12] wait=\d/.test(text) ? text : false;
    });
    assert.doesNotMatch(journal, /cannot record this start/, 'the record is writable under the unit hardening');
    await pushedAfter(gw, instance, Date.now() / 1000);
  });

  await t.test('upgrade: the edited edgepush.ini is kept and the new binary runs', async () => {
    await sh(`printf '\\n; edited by the admin\\n' >> /etc/edgepush/edgepush.ini`);
    const pidBefore = (await sh('systemctl show -p MainPID --value edgepush')).trim();
    const r = await c.exec(['dpkg', '-i', '/root/edgepush-next.deb']);
    assert.equal(r.code, 0, `dpkg -i of the newer package (a conffile prompt would fail here):\n${r.stdout}${r.stderr}`);
    assert.match(await sh('cat /etc/edgepush/edgepush.ini'), /; edited by the admin/);
    assert.equal(await sh('ls /etc/edgepush/ | grep -c dpkg || true'), '0\n');
    assert.match(await c.must(['edgepush', 'version']), new RegExp(`^edgepush ${NEXT_VERSION.replaceAll('.', '\\.')} `));
    await waitFor('edgepush restarted on the new binary', async () => {
      const pid = (await sh('systemctl show -p MainPID --value edgepush')).trim();
      return pid !== '0' && pid !== pidBefore && (await c.exec(['systemctl', 'is-active', 'edgepush'])).stdout.trim() === 'active';
    });
    await pushedAfter(gw, instance, Date.now() / 1000);
  });

  await t.test('a configuration that does not load: reinstalling succeeds and dpkg stays consistent; fixed and restarted, it pushes', async () => {
    await sh(`printf '[agent]\\ninterval = soon\\n' > /etc/edgepush/conf.d/60-broken.ini`);
    // The same version again: the maintainer scripts run a second time (idempotent) and the restart fails.
    const r = await c.exec(['dpkg', '-i', '/root/edgepush-next.deb']);
    assert.equal(r.code, 0, `reinstall with a broken configuration must not fail the transaction:\n${r.stdout}${r.stderr}`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    assert.equal(await sh("dpkg-query -W -f='${Status}' edgepush"), 'install ok installed');
    await waitFor('the configuration error in the journal', async () =>
      /invalid configuration: \/etc\/edgepush\/conf\.d\/60-broken\.ini: \[agent\] interval/.test(
        await c.must(['journalctl', '-u', 'edgepush', '--no-pager', '-o', 'cat']),
      ),
    );
    await c.must(['rm', '/etc/edgepush/conf.d/60-broken.ini']);
    await c.must(['systemctl', 'restart', 'edgepush']);
    await pushedAfter(gw, instance, Date.now() / 1000);
  });

  await t.test('remove: stopped and disabled; configuration, state and user kept', async () => {
    await c.must(['dpkg', '-r', 'edgepush']);
    assert.notEqual((await c.exec(['systemctl', 'is-active', 'edgepush'])).stdout.trim(), 'active');
    assert.notEqual((await c.exec(['systemctl', 'is-enabled', 'edgepush'])).stdout.trim(), 'enabled');
    assert.equal((await c.exec(['test', '-e', '/usr/bin/edgepush'])).code, 1);
    await c.must(['getent', 'passwd', 'edgepush']);
    await c.must(['test', '-f', '/etc/edgepush/edgepush.ini']);
    await c.must(['test', '-d', '/var/lib/edgepush']);
  });

  await t.test("purge: this box's groups deleted at the gateway, files and user gone", async () => {
    assert.ok(
      (await groups(gw)).some((g) => g.labels['instance'] === instance),
      'groups present before purge',
    );
    await c.must(['dpkg', '-P', 'edgepush']);
    const left = (await groups(gw)).filter((g) => g.labels['instance'] === instance);
    assert.deepEqual(left, [], 'no group of this box left at the gateway');
    for (const p of ['/etc/edgepush', '/var/lib/edgepush', '/usr/bin/edgepush']) assert.equal((await c.exec(['test', '-e', p])).code, 1, `${p} gone`);
    assert.equal((await c.exec(['getent', 'passwd', 'edgepush'])).code, 2, 'user edgepush gone');
  });
});

/**
 * The real servers a fleet talks to, started by the drill on loopback (the
 * Debian binaries of the test peers): a sharded Pushgateway tier, a
 * Prometheus scraping every gateway with honor_labels, and VictoriaMetrics
 * and a second Prometheus as remote-write receivers. Also what the drill
 * reads of them: their own request and sample counters, CPU and RSS.
 */
import { cgroupSupport, CpuCgroup, inCgroup, type CpuUsage } from '../bench/cgroup.ts';
import { rssBytes, procCpuSeconds } from '../bench/proc-usage.ts';
import { promQuery, startPrometheus, startPushgateway, startVictoriaMetrics, type RunningServer } from '../../test/helpers/servers.ts';

/** The remote-write receiver (VictoriaMetrics) the drill drains into, made as small as asked. */
export interface VictoriaMetricsShape {
  /** More flags, e.g. `-maxConcurrentInserts=1`. */
  flags?: readonly string[];
  /** CPU it may use, in cores (a CFS quota on its cgroup, kept across its restarts), as on a small receiver machine; absent: no limit. */
  cpuCores?: number;
}

export interface ReceiverCounters {
  atMs: number;
  /** Remote-write requests and samples taken, by receiver (`vm`, `prom`). */
  writes: Record<string, { requests: number; samples: number; errors: number }>;
  /** CPU seconds and RSS of every server, by name (`gw1`, `vm`, `prom`, `scraper`). */
  processes: Record<string, { cpuSeconds: number; rssBytes: number }>;
  /** VictoriaMetrics' CPU cgroup, when it runs under a limit: how often it waited for its quota. */
  vmCpu?: CpuUsage;
}

/** Sum of the samples of `name` whose label set contains `labelText`, in an exposition of a server's own metrics. */
function sumOf(exposition: string, name: string, labelText = ''): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (labelText && !line.includes(labelText)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function ownMetrics(server: RunningServer): Promise<string> {
  const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return res.text();
}

/** One instance's groups on one gateway. */
export interface GatewayGroups {
  jobs: Set<string>;
  oldestPushMs: number;
}

export class FleetReceivers {
  gateways: RunningServer[] = [];
  scraper!: RunningServer;
  vm!: RunningServer;
  prom!: RunningServer;
  private vmCgroup: CpuCgroup | undefined;

  async start(gatewayCount: number, intervalSeconds: number, vmShape: VictoriaMetricsShape = {}): Promise<void> {
    if (vmShape.cpuCores !== undefined) {
      const support = cgroupSupport('cpu');
      if (typeof support === 'string') throw new Error(`fleet drill: cannot limit VictoriaMetrics to ${vmShape.cpuCores} cores: ${support}`);
      this.vmCgroup = new CpuCgroup(support, vmShape.cpuCores);
    }
    const cgroup = this.vmCgroup;
    this.gateways = await Promise.all(Array.from({ length: gatewayCount }, () => startPushgateway()));
    const targets = this.gateways.map((g, i) => `      - targets: ['127.0.0.1:${g.port}']\n        labels: {gateway: gw${i + 1}}\n`).join('');
    // No tier (a remote-write-only drill): the scraper runs with nothing to scrape, so every figure keeps its place.
    const scrapeConfigs = targets
      ? `scrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n    static_configs:\n${targets}`
      : 'scrape_configs: []\n';
    const scrapeYaml = `global:\n  scrape_interval: ${intervalSeconds}s\n  scrape_timeout: ${intervalSeconds}s\n${scrapeConfigs}`;
    [this.scraper, this.vm, this.prom] = await Promise.all([
      startPrometheus(scrapeYaml),
      // Every accepted sample at once: no dedup window hiding a re-sent one, no latency offset hiding fresh ones.
      startVictoriaMetrics(
        [
          '-dedup.minScrapeInterval=1ms',
          '-search.latencyOffset=0s',
          '-search.disableCache',
          '-search.maxUniqueTimeseries=10000000',
          // The final count reads every series of the fleet in one query: at 1,000 boxes (1.5M series) it outlasts the default 30 s.
          '-search.maxQueryDuration=10m',
          ...(vmShape.flags ?? []),
        ],
        cgroup && ((command, args) => inCgroup(cgroup.dir, command, args)),
      ),
      startPrometheus('scrape_configs: []\n', ['--query.lookback-delta=1m']),
    ]);
  }

  /** Remote-write URLs by sink name. */
  writeUrls(): Record<string, string> {
    return { vm: `${this.vm.url}/api/v1/write`, prom: `${this.prom.url}/api/v1/write` };
  }

  gatewayName(url: string): string {
    const i = this.gateways.findIndex((g) => url.startsWith(g.url));
    return i === -1 ? url : `gw${i + 1}`;
  }

  async counters(): Promise<ReceiverCounters> {
    const [vmText, promText] = await Promise.all([ownMetrics(this.vm).catch(() => ''), ownMetrics(this.prom).catch(() => '')]);
    const processes: ReceiverCounters['processes'] = {};
    const named: Array<[string, RunningServer]> = [
      ...this.gateways.map((g, i): [string, RunningServer] => [`gw${i + 1}`, g]),
      ['scraper', this.scraper],
      ['vm', this.vm],
      ['prom', this.prom],
    ];
    for (const [name, server] of named) {
      try {
        processes[name] = { cpuSeconds: procCpuSeconds(server.process.pid!), rssBytes: rssBytes(server.process.pid!) };
      } catch {
        // Down for a scenario: no figures this time.
      }
    }
    return {
      atMs: Date.now(),
      writes: {
        vm: {
          requests: sumOf(vmText, 'vm_http_requests_total', 'path="/api/v1/write"'),
          samples: sumOf(vmText, 'vm_rows_inserted_total', 'type="promremotewrite"'),
          errors: sumOf(vmText, 'vm_http_request_errors_total', 'path="/api/v1/write"'),
        },
        prom: {
          requests: sumOf(promText, 'prometheus_http_requests_total', 'handler="/api/v1/write"'),
          samples: sumOf(promText, 'prometheus_tsdb_head_samples_appended_total'),
          errors: sumOf(promText, 'prometheus_http_requests_total', 'handler="/api/v1/write",code="5'),
        },
      },
      processes,
      ...(this.vmCgroup ? { vmCpu: this.vmCgroup.usage() } : {}),
    };
  }

  /** Prometheus' last scrape duration of each gateway, seconds, by gateway name. */
  async scrapeDurations(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of await promQuery(this.scraper.url, 'scrape_duration_seconds{job="pushgateway"}')) out[r.metric['gateway'] ?? ''] = Number(r.value[1]);
    return out;
  }

  /**
   * Groups by gateway and instance as the scraping Prometheus sees them (what
   * dashboards and alerts see): the jobs of each instance's groups and its
   * oldest push time. Each gateway's target carries a `gateway` label.
   */
  async groupsByGateway(): Promise<Map<string, Map<string, GatewayGroups>>> {
    const out = new Map<string, Map<string, GatewayGroups>>();
    for (const r of await promQuery(this.scraper.url, 'push_time_seconds')) {
      const gateway = r.metric['gateway'] ?? '';
      const byInstance = out.get(gateway) ?? new Map<string, GatewayGroups>();
      out.set(gateway, byInstance);
      const instance = r.metric['instance'] ?? '';
      const entry = byInstance.get(instance) ?? { jobs: new Set<string>(), oldestPushMs: Infinity };
      entry.jobs.add(r.metric['job'] ?? '');
      entry.oldestPushMs = Math.min(entry.oldestPushMs, Number(r.value[1]) * 1000);
      byInstance.set(instance, entry);
    }
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.gateways, this.scraper, this.vm, this.prom].filter(Boolean).map((s) => s.stop()));
    this.vmCgroup?.remove();
  }
}

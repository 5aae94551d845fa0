/**
 * Run by tcpstat.test.ts inside a network namespace of its own (unshare
 * --net), so the only TCP sockets are this script's and node_exporter's:
 * a listener with a backlog of 7 and one connection to it, node_exporter's
 * listener and the scrape's connection. Prints node_tcp_connection_states as
 * node_exporter and edgepush see them, one read after the other while the
 * scrape's connection stays open (keep-alive), ours once no byte is in flight.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { parseText } from '../../../src/model/text-parser.ts';
import { COLLECTORS } from '../../../src/sources/host/machinery/registry.ts';
import { CollectorRunner } from '../../../src/sources/host/machinery/collector-runner.ts';
import { DEFAULT_HOST_PATHS } from '../../../src/sources/host/machinery/collector.ts';
import { startNodeExporter } from '../../helpers/servers.ts';
import { waitFor } from '../../helpers/wait.ts';

const server = net.createServer(() => undefined);
server.listen({ host: '127.0.0.1', port: 0, backlog: 7 });
await once(server, 'listening');
const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
await once(client, 'connect');
const node = await startNodeExporter(['--collector.disable-defaults', '--collector.tcpstat']);
try {
  const theirs = parseText(await (await fetch(node.url + '/metrics')).text()).find((f) => f.name === 'node_tcp_connection_states');
  // Go's listener asks for the largest backlog, which the kernel caps at somaxconn.
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  // Until the client acknowledges the whole response (delayed ACK), its bytes count as queued.
  const host = new CollectorRunner(COLLECTORS, { paths: DEFAULT_HOST_PATHS, enabled: new Set(['tcpstat']) });
  const ours = await waitFor('the scrape response acknowledged', async () => {
    const family = (await host.collect()).find((f) => f.name === 'node_tcp_connection_states');
    return family?.samples.find((s) => s.labels['state'] === 'tx_queued_bytes')?.value === somaxconn + 7 ? family : undefined;
  });
  process.stdout.write(JSON.stringify({ theirs, ours, somaxconn }));
} finally {
  await node.stop();
  client.destroy();
  server.close();
}

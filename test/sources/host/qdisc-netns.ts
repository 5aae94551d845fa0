/**
 * Run by qdisc.test.ts inside a network namespace of its own (unshare --net)
 * that the test set up: a veth pair, v0 with a root tbf and v1 with a root
 * htb holding a pfifo leaf (not a root: neither exporter reports it). Sends
 * a few datagrams through v0's qdisc, waits until none is queued, then prints
 * the node_qdisc_* families as node_exporter and edgepush see them, one read
 * after the other (nothing else sends on v0 or v1 meanwhile).
 */
import dgram from 'node:dgram';
import { parseText } from '../../../src/model/text-parser.ts';
import { COLLECTORS } from '../../../src/sources/host/machinery/registry.ts';
import { CollectorRunner } from '../../../src/sources/host/machinery/collector-runner.ts';
import { DEFAULT_HOST_PATHS } from '../../../src/sources/host/machinery/collector.ts';
import { startNodeExporter } from '../../helpers/servers.ts';
import { sortedFamilies } from './sorted-families.ts';
import { waitFor } from '../../helpers/wait.ts';

const DATAGRAMS = 12;
const socket = dgram.createSocket('udp4');
for (let i = 0; i < DATAGRAMS; i++)
  await new Promise((resolve, reject) => socket.send(Buffer.alloc(100 + i), 9, '10.9.9.2', (err) => (err ? reject(err) : resolve(undefined))));
socket.close();

const host = new CollectorRunner(COLLECTORS, { paths: DEFAULT_HOST_PATHS, enabled: new Set(['qdisc']) });
await waitFor('v0 sent every datagram', async () => {
  const packets = (await host.collect()).find((f) => f.name === 'node_qdisc_packets_total')?.samples.find((s) => s.labels['device'] === 'v0');
  return packets !== undefined && packets.value >= DATAGRAMS;
});
const node = await startNodeExporter(['--collector.disable-defaults', '--collector.qdisc']);
try {
  const theirs = sortedFamilies(parseText(await (await fetch(node.url + '/metrics')).text()), 'node_qdisc_');
  const ours = sortedFamilies(await host.collect(), 'node_qdisc_');
  process.stdout.write(JSON.stringify({ theirs, ours }));
} finally {
  await node.stop();
}

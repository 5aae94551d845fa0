import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readXfrmStat } from '../procfs/xfrm.ts';

/** The /proc/net/xfrm_stat counters node_exporter exports, with its HELP texts; a counter the kernel lacks reads 0. */
const XFRM_COUNTERS: Array<[string, string]> = [
  ['XfrmInError', 'All errors not matched by other'],
  ['XfrmInBufferError', 'No buffer is left'],
  ['XfrmInHdrError', 'Header error'],
  ['XfrmInNoStates', 'No state is found i.e. Either inbound SPI, address, or IPsec protocol at SA is wrong'],
  ['XfrmInStateProtoError', 'Transformation protocol specific error e.g. SA key is wrong'],
  ['XfrmInStateModeError', 'Transformation mode specific error'],
  ['XfrmInStateSeqError', 'Sequence error i.e. Sequence number is out of window'],
  ['XfrmInStateExpired', 'State is expired'],
  ['XfrmInStateMismatch', 'State has mismatch option e.g. UDP encapsulation type is mismatch'],
  ['XfrmInStateInvalid', 'State is invalid'],
  ['XfrmInTmplMismatch', 'No matching template for states e.g. Inbound SAs are correct but SP rule is wrong'],
  ['XfrmInNoPols', 'No policy is found for states e.g. Inbound SAs are correct but no SP is found'],
  ['XfrmInPolBlock', 'Policy discards'],
  ['XfrmInPolError', 'Policy error'],
  ['XfrmOutError', 'All errors which is not matched others'],
  ['XfrmOutBundleGenError', 'Bundle generation error'],
  ['XfrmOutBundleCheckError', 'Bundle check error'],
  ['XfrmOutNoStates', 'No state is found'],
  ['XfrmOutStateProtoError', 'Transformation protocol specific error'],
  ['XfrmOutStateModeError', 'Transformation mode specific error'],
  ['XfrmOutStateSeqError', 'Sequence error i.e. Sequence number overflow'],
  ['XfrmOutStateExpired', 'State is expired'],
  ['XfrmOutPolBlock', 'Policy discards'],
  ['XfrmOutPolDead', 'Policy is dead'],
  ['XfrmOutPolError', 'Policy error'],
  ['XfrmFwdHdrError', 'Forward routing of a packet is not allowed'],
  ['XfrmOutStateInvalid', 'State is invalid, perhaps expired'],
  ['XfrmAcquireError', 'State hasn’t been fully acquired before use'],
];

/** XfrmInStateProtoError → node_xfrm_in_state_proto_error_packets_total */
export function xfrmMetricName(counter: string): string {
  const words = counter
    .replace(/^Xfrm/, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return `node_xfrm_${words}_packets_total`;
}

export const xfrm: CollectorDefinition = {
  name: 'xfrm',
  defaultEnabled: false,
  description: 'Exposes statistics from /proc/net/xfrm_stat.',
  create: stateless(async ({ paths }) => {
    const stat = await readXfrmStat(paths.procfs);
    const out = new FamilySet();
    for (const [counter, help] of XFRM_COUNTERS) out.counter(xfrmMetricName(counter), help, stat.get(counter) ?? 0);
    return out.toArray();
  }),
};

import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readKernelRandom } from '../procfs/entropy.ts';

export const entropy: CollectorDefinition = {
  name: 'entropy',
  defaultEnabled: true,
  description: 'Exposes available entropy.',
  create: stateless(async ({ paths }) => {
    const random = await readKernelRandom(paths.procfs);
    // node_exporter fails (rather than reporting no data) when either file is missing.
    if (random.entropyAvailable === undefined) throw new Error(`couldn't get entropy_avail from ${paths.procfs}/sys/kernel/random`);
    if (random.poolSize === undefined) throw new Error(`couldn't get entropy poolsize from ${paths.procfs}/sys/kernel/random`);
    const out = new FamilySet();
    out.gauge('node_entropy_available_bits', 'Bits of available entropy.', random.entropyAvailable);
    out.gauge('node_entropy_pool_size_bits', 'Bits of entropy pool.', random.poolSize);
    return out.toArray();
  }),
};

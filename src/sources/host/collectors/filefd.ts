import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readFileNr } from '../procfs/file-nr.ts';

export const filefd: CollectorDefinition = {
  name: 'filefd',
  defaultEnabled: true,
  description: 'Exposes file descriptor statistics from /proc/sys/fs/file-nr.',
  create: stateless(async ({ paths }) => {
    const nr = await readFileNr(paths.procfs);
    const out = new FamilySet();
    out.gauge('node_filefd_allocated', 'File descriptor statistics: allocated.', nr.allocated);
    out.gauge('node_filefd_maximum', 'File descriptor statistics: maximum.', nr.maximum);
    return out.toArray();
  }),
};

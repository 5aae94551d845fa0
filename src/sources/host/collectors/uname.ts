import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readUname } from '../procfs/uname.ts';

export const uname: CollectorDefinition = {
  name: 'uname',
  defaultEnabled: true,
  description: 'Exposes system information as provided by the uname system call.',
  create: stateless(async () => {
    const u = await readUname();
    const out = new FamilySet();
    out.gauge('node_uname_info', 'Labeled system information as provided by the uname system call.', 1, {
      sysname: u.sysname,
      release: u.release,
      version: u.version,
      machine: u.machine,
      nodename: u.nodename,
      domainname: u.domainname,
    });
    return out.toArray();
  }),
};

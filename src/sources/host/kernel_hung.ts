import { FamilySet } from '../../model/family.ts';
import { NoDataError, stateless, type CollectorDefinition } from './collector.ts';
import { readHungTaskDetectCount } from './procfs/kernel_hung.ts';
import { isNotExist } from './sysfs/attr.ts';

export const kernelHung: CollectorDefinition = {
  name: 'kernel_hung',
  defaultEnabled: true,
  description: 'Exposes number of tasks that have been detected as hung from /proc/sys/kernel/hung_task_detect_count.',
  create: stateless(async ({ paths }) => {
    let count: number;
    try {
      count = await readHungTaskDetectCount(paths.procfs);
    } catch (err) {
      if (isNotExist(err)) throw new NoDataError('hung_task_detect_count does not exist');
      throw err;
    }
    const out = new FamilySet();
    out.counter('node_kernel_hung_tasks_total', 'Total number of tasks that have been detected as hung since the system booted.', count);
    return out.toArray();
  }),
};

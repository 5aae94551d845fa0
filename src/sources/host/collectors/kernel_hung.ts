import { FamilySet } from '../../../model/family.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOrNoData } from '../kernel-files/no-data.ts';
import { readHungTaskDetectCount } from '../procfs/kernel_hung.ts';

export const kernelHung: CollectorDefinition = {
  name: 'kernel_hung',
  defaultEnabled: true,
  description: 'Exposes number of tasks that have been detected as hung from /proc/sys/kernel/hung_task_detect_count.',
  create: stateless(async ({ paths }) => {
    const count: number = await readOrNoData(() => readHungTaskDetectCount(paths.procfs), { noData: 'hung_task_detect_count does not exist' });
    const out = new FamilySet();
    out.counter('node_kernel_hung_tasks_total', 'Total number of tasks that have been detected as hung since the system booted.', count);
    return out.toArray();
  }),
};

import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readPsi, type PsiStats } from '../procfs/pressure.ts';
import { isNotFound } from '../kernel-files/read.ts';

const RESOURCES = ['cpu', 'io', 'memory', 'irq'] as const;

const HELP = {
  cpu: 'Total time in seconds that processes have waited for CPU time',
  io: 'Total time in seconds that processes have waited due to IO congestion',
  ioFull: 'Total time in seconds no process could make progress due to IO congestion',
  memory: 'Total time in seconds that processes have waited for memory',
  memoryFull: 'Total time in seconds no process could make progress due to memory congestion',
  irqFull: 'Total time in seconds no process could make progress due to IRQ congestion',
};

const seconds = (microseconds: number): number => microseconds / 1000.0 / 1000.0;

export const pressure: CollectorDefinition = {
  name: 'pressure',
  defaultEnabled: true,
  description: 'Exposes pressure stall statistics from /proc/pressure/.',
  create: stateless(async ({ paths, log }) => {
    const out = new FamilySet();
    let found = 0;
    // Read together, judged in node_exporter's order (the first error or missing line decides).
    const results = await Promise.allSettled(RESOURCES.map((resource) => readPsi(paths.procfs, resource)));
    for (const [i, resource] of RESOURCES.entries()) {
      const result = results[i]!;
      let psi: PsiStats;
      if (result.status === 'fulfilled') {
        psi = result.value;
      } else {
        const err: unknown = result.reason;
        // No PSI in this kernel (< 4.20, or < 6.1 for irq): skip the resource.
        if (isNotFound(err)) continue;
        // Built with CONFIG_PSI but booted without psi=1.
        if ((err as NodeJS.ErrnoException).code === 'EOPNOTSUPP')
          throw new NoDataError('pressure information is disabled, add psi=1 kernel command line to enable it');
        throw err;
      }
      // irq has no "some" line, cpu had no "full" line before 5.13.
      if (!psi.some && resource !== 'irq') throw new NoDataError(`pressure information for ${resource} returned no 'some' data`);
      if (!psi.full && resource !== 'cpu') throw new NoDataError(`pressure information for ${resource} returned no 'full' data`);
      switch (resource) {
        case 'cpu':
          out.counter('node_pressure_cpu_waiting_seconds_total', HELP.cpu, seconds(psi.some!.totalMicroseconds));
          break;
        case 'io':
          out.counter('node_pressure_io_waiting_seconds_total', HELP.io, seconds(psi.some!.totalMicroseconds));
          out.counter('node_pressure_io_stalled_seconds_total', HELP.ioFull, seconds(psi.full!.totalMicroseconds));
          break;
        case 'memory':
          out.counter('node_pressure_memory_waiting_seconds_total', HELP.memory, seconds(psi.some!.totalMicroseconds));
          out.counter('node_pressure_memory_stalled_seconds_total', HELP.memoryFull, seconds(psi.full!.totalMicroseconds));
          break;
        case 'irq':
          out.counter('node_pressure_irq_stalled_seconds_total', HELP.irqFull, seconds(psi.full!.totalMicroseconds));
          break;
      }
      found++;
    }
    if (found === 0) {
      log.debug('pressure information is unavailable, you need a Linux kernel >= 4.20 and/or CONFIG_PSI enabled for your kernel');
      throw new NoDataError('no /proc/pressure files');
    }
    return out.toArray();
  }),
};

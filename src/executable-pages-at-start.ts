/**
 * Imported first by the CLI, so that the executable's read advice
 * (src/executable-pages.ts) comes before the rest of the bundle's modules are
 * evaluated and before the command runs. Under a tight memory cgroup on a
 * disk with a large readahead, the start itself thrashed before the advice:
 * `edgepush --help` in a 48 MiB cgroup at 8 MB readahead took 84 s and 14,909
 * major faults from a cold page cache, where Node.js alone (`node -e 0`) took
 * 2.4 s and 700 (issue 13). From source the process is Node.js itself: nothing
 * of ours to advise.
 */
import { isSea } from 'node:sea';
import { adviseReadsOfExecutable } from './executable-pages.ts';

if (isSea()) adviseReadsOfExecutable();

import { FamilySet } from '../../../model/family.ts';
import type { CollectorDefinition } from '../machinery/collector.ts';
import { readSelinuxState, type SelinuxState } from '../sysfs/selinux.ts';

export const selinux: CollectorDefinition = {
  name: 'selinux',
  defaultEnabled: true,
  description: 'Exposes SELinux statistics.',
  create({ paths }) {
    // go-selinux decides once per process whether SELinux is enabled; the modes are read every time.
    let enabledOnce: boolean | undefined;
    return {
      async collect() {
        const out = new FamilySet();
        const state: SelinuxState = enabledOnce === false ? { enabled: false } : await readSelinuxState(paths);
        enabledOnce ??= state.enabled;
        if (!state.enabled) {
          out.gauge('node_selinux_enabled', 'SELinux is enabled, 1 is true, 0 is false', 0);
          return out.toArray();
        }
        out.gauge('node_selinux_enabled', 'SELinux is enabled, 1 is true, 0 is false', 1);
        out.gauge('node_selinux_config_mode', 'Configured SELinux enforcement mode', state.configMode);
        out.gauge('node_selinux_current_mode', 'Current SELinux enforcement mode', state.currentMode);
        return out.toArray();
      },
    };
  },
};

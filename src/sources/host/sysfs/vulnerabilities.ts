import path from 'node:path';
import { listDir, readText } from '../kernel-files/read.ts';

type VulnerabilityState = 'not affected' | 'vulnerable' | 'mitigation' | 'unknown';

export interface Vulnerability {
  codename: string;
  state: VulnerabilityState;
  mitigation: string;
}

const PREFIXED_STATES: VulnerabilityState[] = ['vulnerable', 'mitigation', 'unknown'];

/**
 * Parses one /sys/devices/system/cpu/vulnerabilities/<codename> file:
 * "Not affected", "Vulnerable[: details]", "Mitigation: details",
 * "Unknown: details". Text in no known form is kept whole as the
 * mitigation with state unknown, as procfs does.
 */
export function parseVulnerability(codename: string, content: string): Vulnerability {
  const text = content.trim();
  const lower = text.toLowerCase();
  if (lower.startsWith('not affected')) return { codename, state: 'not affected', mitigation: '' };
  for (const state of PREFIXED_STATES) {
    if (lower.startsWith(state)) return { codename, state, mitigation: text.split(/\s+/).slice(1).join(' ') };
  }
  return { codename, state: 'unknown', mitigation: text };
}

/** Reads every file of /sys/devices/system/cpu/vulnerabilities (none when the directory is absent). */
export async function readCpuVulnerabilities(sysfs: string): Promise<Vulnerability[]> {
  const dir = path.join(sysfs, 'devices', 'system', 'cpu', 'vulnerabilities');
  return Promise.all(
    (await listDir(dir)).map(async (name) => {
      const file = path.join(dir, name);
      const content = await readText(file).catch((err: Error) => {
        throw new Error(`${file}: ${err.message}`, { cause: err });
      });
      return parseVulnerability(name, content);
    }),
  );
}

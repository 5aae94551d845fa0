/** Turns the configuration's source sections into running sources. */
import type { AgentConfig } from '../config/config.ts';
import { configFingerprint } from '../config/fingerprint.ts';
import { HostSource } from './host/host-source.ts';
import { ExporterSource } from './exporter.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import { SelfSource } from './self.ts';
import type { Source } from './source.ts';

/**
 * The sources of `config`. On a reload, `running` are the current ones: an
 * exporter whose settings are unchanged is kept (with its keep-alive
 * connections); the caller closes those not returned.
 */
export function buildSources(config: AgentConfig, self: SelfMetrics, running: readonly Source[] = []): Source[] {
  const sources: Source[] = [];
  if (config.host.enabled) sources.push(new HostSource(config.host, self));
  for (const e of config.exporters) {
    const fingerprint = configFingerprint(e);
    const kept = running.find((s) => s.id === `exporter.${e.name}` && s.fingerprint === fingerprint);
    sources.push(kept ?? new ExporterSource(e, self));
  }
  if (config.self.enabled) sources.push(new SelfSource(self, config.self.job, config.agent.timeoutSeconds));
  return sources;
}

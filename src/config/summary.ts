/** `edgepush check-config`'s output: the summary of a loaded configuration, and the key reference. */
import { identityLabels } from '../agent.ts';
import { findSinkKind } from '../sinks/kinds.ts';
import { describeKeys, type AgentConfig } from './config.ts';
import { describeRange } from './schema.ts';

/** What check-config prints: where everything comes from and goes to, never a secret. */
export function summarizeConfig(c: AgentConfig): string {
  const lines = [
    `configuration OK`,
    `files: ${c.files.length ? c.files.join(', ') : '(none: built-in defaults)'}`,
    `instance: ${c.identity.instance} (from ${c.identity.from})`,
    `labels: ${
      Object.entries(c.labels)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(', ') || '(none)'
    }`,
    `interval: ${c.agent.intervalSeconds}s, source timeout: ${c.agent.timeoutSeconds}s, splay: ${c.agent.splay ? 'on' : 'off'}, state dir: ${c.agent.stateDir}`,
    `source host: ${c.host.enabled ? `job=${c.host.job}, ${c.host.source.enabled.size} collectors (${[...c.host.source.enabled].sort().join(', ')})` : 'disabled'}`,
    `source self: ${c.self.enabled ? `job=${c.self.job}` : 'disabled'}`,
    ...c.exporters.map((e) => `source exporter.${e.name}: job=${e.job} url=${e.url} timeout=${e.timeoutSeconds}s`),
    ...(c.remoteConfig
      ? [
          `remote config: ${c.remoteConfig.url} every ${c.remoteConfig.intervalSeconds}s; cached layer ${c.remoteLayerError ? `left out (it does not load: ${c.remoteLayerError})` : c.files.some((f) => f.startsWith(c.remoteConfig!.url)) ? 'in use' : 'none yet'}`,
          c.remoteConfig.trustedKeys
            ? `remote config signatures: verified against ${c.remoteConfig.trustedKeys.length} trusted key(s) (${c.remoteConfig.trustedKeys.map((k) => k.id).join(', ')})`
            : 'warning: remote configuration layers are not verified: whoever controls the URL decides where metrics go; set [remote_config] trusted_keys',
        ]
      : []),
    // Only where a sink sends or serves: its other settings may hold secrets.
    ...c.sinks.map((s) => `sink ${s.name}: ${findSinkKind(s.kind)?.describe(s.config, identityLabels(c)) ?? ''}`),
  ];
  if (c.sinks.length === 0)
    lines.push(c.remoteConfig ? 'no sink configured yet: they may come with the remote configuration' : 'warning: no sink configured: nothing will be pushed');
  return lines.join('\n') + '\n';
}

/** Every key of every section with its default, range and help (check-config --keys). */
export function formatKeyReference(): string {
  const out: string[] = [];
  for (const { section, keys } of describeKeys()) {
    out.push(`[${section}]`);
    for (const k of keys) {
      const range = describeRange(k);
      out.push(
        `  ${k.key.endsWith('.') ? k.key + '<name>' : k.key}${k.default !== undefined ? ` = ${k.default}` : ''}${range === undefined ? '' : ` (${range})`}\n      ${k.help}`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

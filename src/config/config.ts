/**
 * The agent's typed configuration, from the merged INI layers and the
 * command-line flags. Each section is read by the parser beside its code
 * (sources, sink kinds, remote/section.ts); this file layers and assembles
 * them, once, with errors naming file, section and key; the rest of the agent
 * trusts an AgentConfig.
 */
import { configFingerprint } from './fingerprint.ts';
import type { LogLevel } from '../log.ts';
import { LOG_LEVELS } from '../log.ts';
import { LABEL_NAME_RE } from '../model/family.ts';
import type { FlagSpec } from './flags.ts';
import { readIdentity, IDENTITY_KEYS, type Identity } from './identity.ts';
import { verifyLayer } from './remote/layer-signature.ts';
import { readRemoteConfigSection, REMOTE_CONFIG_KEYS, type RemoteConfigSettings } from './remote/section.ts';
import { readFileSync } from 'node:fs';
import { quoteInput } from '../quote.ts';
import { parseIniLayer, readLayers, DEFAULT_CONFIG_FILE, DEFAULT_DEFAULTS_FILE, type LoadedLayers, type RawConfig } from './layers.ts';
import { ConfigError, findKeySpec, parseBool, SectionReader, type KeySpec, type SectionValues } from './schema.ts';
import { EXPORTER_KEYS, readExporterSection, type ExporterConfig } from '../sources/exporter.ts';
import { HOST_FIXED_KEYS, hostKeys, isHostFlag, readHostSection, type HostConfig } from '../sources/host/host-source.ts';
import { readSelfSection, SELF_KEYS, type SelfConfig } from '../sources/self.ts';
import { RESERVED_LABELS } from './source-job.ts';
import { findSinkKind, SINK_KINDS } from '../sinks/kinds.ts';

/** The packaged state directory (the unit's StateDirectory=edgepush). */
export const DEFAULT_STATE_DIR = '/var/lib/edgepush';

interface AgentSettings {
  intervalSeconds: number;
  /** Default timeout of a source's collection. */
  timeoutSeconds: number;
  /** Spread cycles over the interval by a stable per-box offset. */
  splay: boolean;
  /** On SIGTERM, how long in-flight pushes may still take. */
  shutdownTimeoutSeconds: number;
  stateDir: string;
  logLevel: LogLevel;
}

/** What a source section falls back on from [agent]: its timeout, and the interval a timeout must stay under. */
export type SourceDefaults = Pick<AgentSettings, 'timeoutSeconds' | 'intervalSeconds'>;

interface SinkConfig {
  /** `pushgateway`, `remote_write`, ... */
  kind: string;
  /** Full section name: `pushgateway.main`. */
  name: string;
  config: unknown;
  /** Equal fingerprints mean a reload can keep the running sink. */
  fingerprint: string;
}

export interface AgentConfig {
  /** Files read, in order (for logs and check-config). */
  files: string[];
  remoteConfig?: RemoteConfigSettings;
  /**
   * Why the cached remote layer was left out: the configuration built with it
   * did not load (e.g. after an upgrade that changed a key), so the agent runs
   * on its local files until the URL serves a layer that loads.
   */
  remoteLayerError?: string;
  agent: AgentSettings;
  identity: Identity;
  /** Static labels of every series of this box ([labels]). */
  labels: Record<string, string>;
  host: HostConfig;
  self: SelfConfig;
  exporters: ExporterConfig[];
  sinks: SinkConfig[];
}

export interface ConfigSources {
  defaultsFile?: string;
  configFile?: string;
  confDir?: string;
  /**
   * A fetched remote layer to check instead of the cached one: loadConfig then
   * throws on its errors instead of leaving it out (the fetcher's validation).
   */
  remoteLayerText?: string;
  /** Flags that override file values: host flags (path.*, collector.*) and the agent's. */
  flags?: ReadonlyMap<string, unknown>;
}

export const AGENT_KEYS: readonly KeySpec[] = [
  {
    key: 'interval',
    kind: 'duration',
    default: '15s',
    min: '1s',
    max: '1h',
    help: 'Time between two cycles (collect everything, push everywhere). At most an hour: rarer pushes leave dashboards and absence alerts blind.',
  },
  { key: 'timeout', kind: 'duration', default: '10s', min: '100ms', max: '1h', help: 'Default collection timeout of a source; must be shorter than interval.' },
  {
    key: 'splay',
    kind: 'bool',
    default: 'true',
    help: 'Offset the cycles by a stable amount derived from the instance, so a fleet does not push in the same second.',
  },
  { key: 'shutdown_timeout', kind: 'duration', default: '5s', min: '100ms', max: '10m', help: 'On SIGTERM/SIGINT, how long in-flight pushes may still take.' },
  { key: 'state_dir', kind: 'path', default: DEFAULT_STATE_DIR, help: 'Directory for durable state (pushed groups, remote-write queues).' },
  { key: 'log_level', kind: 'string', default: 'info', help: `Log level: ${LOG_LEVELS.join(', ')}.` },
];

/** Sections a remote layer may not set at all: how the box finds its configuration and who it is. */
const LOCAL_ONLY_SECTIONS = new Set(['remote_config', 'identity']);

const FIXED_SECTIONS = new Set(['agent', 'identity', 'labels', 'host', 'self', 'remote_config']);

const SINK_ENABLED_KEY: KeySpec = { key: 'enabled', kind: 'bool', default: 'true', connection: true, help: 'Push to this sink.' };

/** The keys of a section, by its name (`agent`, `exporter.nginx`); none for the free-form [labels] and unknown kinds. */
function sectionKeys(name: string): readonly KeySpec[] {
  const dot = name.indexOf('.');
  if (dot === -1) {
    const fixed: Record<string, () => readonly KeySpec[]> = {
      agent: () => AGENT_KEYS,
      identity: () => IDENTITY_KEYS,
      host: () => hostKeys(),
      self: () => SELF_KEYS,
      remote_config: () => REMOTE_CONFIG_KEYS,
    };
    return fixed[name]?.() ?? [];
  }
  const kind = name.slice(0, dot);
  if (kind === 'exporter') return EXPORTER_KEYS;
  const sinkKind = findSinkKind(kind);
  return sinkKind ? [SINK_ENABLED_KEY, ...sinkKind.keys] : [];
}

function namedKinds(): Set<string> {
  return new Set(['exporter', ...SINK_KINDS.map((k) => k.section)]);
}

/** Flags that map onto config keys, beyond the host flags. */
export const CONFIG_FLAGS: readonly FlagSpec[] = [
  {
    name: 'config.file',
    kind: 'string',
    default: DEFAULT_CONFIG_FILE,
    help: 'The configuration file; its conf.d/*.ini drop-ins are read after it.',
    placeholder: 'FILE',
  },
  {
    name: 'config.defaults',
    kind: 'string',
    default: DEFAULT_DEFAULTS_FILE,
    help: 'Vendor defaults, read before the configuration file (skipped when absent).',
    placeholder: 'FILE',
  },
  { name: 'config.dir', kind: 'string', default: '', help: 'Drop-in directory (default: conf.d beside --config.file).', placeholder: 'DIR' },
  { name: 'interval', kind: 'duration', default: '', help: 'Overrides [agent] interval (default 15s).' },
  { name: 'instance', kind: 'string', default: '', help: 'Overrides the instance label (literal).' },
  { name: 'state.dir', kind: 'string', default: '', help: 'Overrides [agent] state_dir.', placeholder: 'DIR' },
];

const FLAG_ORIGIN = 'command line';

/** The configuration the command-line flags point at (CONFIG_FLAGS) and override. `remoteLayerText`: check this fetched layer instead of the cached one (throws on its errors). */
export function loadConfigFromFlags(given: Map<string, unknown>, remoteLayerText?: string): AgentConfig {
  const configFile = given.get('config.file') as string | undefined;
  const defaultsFile = given.get('config.defaults') as string | undefined;
  const confDir = given.get('config.dir') as string | undefined;
  return loadConfig({
    ...(configFile !== undefined ? { configFile } : {}),
    ...(defaultsFile !== undefined ? { defaultsFile } : {}),
    ...(confDir ? { confDir } : {}),
    ...(remoteLayerText !== undefined ? { remoteLayerText } : {}),
    flags: given,
  });
}

/** Reads, merges and validates every layer. Throws ConfigError. */
export function loadConfig(sources: ConfigSources = {}): AgentConfig {
  const flags = sources.flags ?? new Map<string, unknown>();
  const locations = {
    defaultsFile: sources.defaultsFile ?? DEFAULT_DEFAULTS_FILE,
    configFile: sources.configFile ?? DEFAULT_CONFIG_FILE,
    configFileRequired: sources.configFile !== undefined && sources.configFile !== DEFAULT_CONFIG_FILE,
    ...(sources.confDir ? { confDir: sources.confDir } : {}),
  };
  const read = (remoteLayer?: RemoteLayer): LoadedLayers => {
    const layers = readLayers(locations, namedKinds(), FIXED_SECTIONS, remoteLayer);
    applyFlags(layers.raw, flags);
    return layers;
  };
  const build = ({ raw, files }: LoadedLayers): AgentConfig => {
    const config = buildConfig(raw);
    config.files = files;
    return config;
  };
  // The local files alone say whether, and from where, a remote layer comes.
  const localLayers = read();
  const local = build(localLayers);
  const remote = local.remoteConfig;
  if (!remote) {
    if (sources.remoteLayerText !== undefined) throw new ConfigError('remote configuration', 'remote_config', 'url', 'is not set');
    return local;
  }
  // Checked before the configuration is built: building reads the files it names.
  const withRemote = (remoteLayer: RemoteLayer): AgentConfig => {
    const layers = read(remoteLayer);
    checkRemoteLayer(remoteLayer, localLayers.raw, layers.raw);
    return build(layers);
  };
  if (sources.remoteLayerText !== undefined) return withRemote(parseRemoteLayer(sources.remoteLayerText, remote.url));
  let text: string;
  try {
    text = readCachedLayer(remote);
  } catch (err) {
    if (err instanceof ConfigError) {
      local.remoteLayerError = err.message;
      return local;
    }
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      local.remoteLayerError = `cannot read ${remote.cacheFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    return local;
  }
  try {
    return withRemote(parseRemoteLayer(text, `${remote.url} (cached in ${remote.cacheFile})`));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    local.remoteLayerError = err.message;
    return local;
  }
}

interface RemoteLayer {
  raw: RawConfig;
  origin: string;
}

function parseRemoteLayer(text: string, origin: string): RemoteLayer {
  return { raw: parseIniLayer(text, origin, namedKinds(), FIXED_SECTIONS), origin };
}

/**
 * What a remote layer may not do, whoever signed it: make the agent read a
 * local path it would not read otherwise, write outside its state directory,
 * or send a local secret anywhere, or through anything, the local files did
 * not. So it names no path (a key of kind `path`: it would be read or
 * written), sets nothing in the sections that say how the box finds its
 * configuration and who it is, and changes no `connection` key (URL, auth,
 * TLS, proxy, headers, enabled) of a section whose connection the local files
 * configure: their password, client certificate or CA would then go where
 * the layer says. A section the layer configures alone is its own: inline
 * credentials given in the layer are fine there.
 */
function checkRemoteLayer(remote: RemoteLayer, local: RawConfig, merged: RawConfig): void {
  for (const [name, values] of remote.raw) {
    const refuse = (key: string | undefined, why: string): ConfigError =>
      new ConfigError(remote.origin, name, key, `cannot come from the remote configuration: ${why}`);
    if (LOCAL_ONLY_SECTIONS.has(name)) throw refuse(undefined, 'how the box finds its configuration and who it is are set in the local files');
    const specs = sectionKeys(name);
    for (const key of values.keys()) {
      if (findKeySpec(specs, key)?.kind === 'path') throw refuse(key, 'it names a local file or directory; set it in the local files');
    }
    const localConnection = [...section(local, name)].find(([key]) => findKeySpec(specs, key)?.connection);
    if (!localConnection || !sectionEnabled(merged, name)) continue;
    for (const key of values.keys()) {
      const spec = findKeySpec(specs, key);
      if (!spec?.connection) continue;
      const effective = (raw: RawConfig): string => JSON.stringify(raw.get(name)?.get(key)?.value ?? spec.default);
      if (effective(merged) !== effective(local)) {
        throw refuse(
          key,
          `the local files configure this section's connection (${localConnection[1].origin}), and a layer may not change where, how or whether its requests go; set it there`,
        );
      }
    }
  }
}

/** A disabled section reads no file and sends nothing. */
function sectionEnabled(raw: RawConfig, name: string): boolean {
  const enabled = raw.get(name)?.get('enabled')?.value;
  try {
    return typeof enabled !== 'string' || parseBool(enabled);
  } catch {
    return true; // not a bool: building the configuration says so
  }
}

/** Builds a config from INI text alone, on top of the built-in defaults (tests). */
export function configFromText(text: string, origin = 'inline'): AgentConfig {
  return buildConfig(parseIniLayer(text, origin, namedKinds(), FIXED_SECTIONS));
}

function applyFlags(raw: RawConfig, flags: ReadonlyMap<string, unknown>): void {
  const set = (section: string, key: string, value: string | string[]): void => {
    let values = raw.get(section);
    if (!values) raw.set(section, (values = new Map()));
    values.set(key, { value, origin: FLAG_ORIGIN });
  };
  for (const [name, value] of flags) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.map(String) : String(value);
    if (name === 'log.level') set('agent', 'log_level', text);
    else if (name === 'interval') set('agent', 'interval', text);
    else if (name === 'state.dir') set('agent', 'state_dir', text);
    else if (name === 'instance') {
      set('identity', 'instance', text);
      set('identity', 'instance_from', 'literal');
    } else if (isHostFlag(name)) set('host', name, text);
  }
}

function section(raw: RawConfig, name: string): SectionValues {
  return raw.get(name) ?? new Map();
}

function buildConfig(raw: RawConfig): AgentConfig {
  const agent = readAgent(new SectionReader('agent', section(raw, 'agent'), AGENT_KEYS));
  const identity = readIdentity(new SectionReader('identity', section(raw, 'identity'), IDENTITY_KEYS));
  const labels = readLabels(section(raw, 'labels'));
  const host = readHostSection(section(raw, 'host'), agent);
  const self = readSelfSection(new SectionReader('self', section(raw, 'self'), SELF_KEYS));

  const exporters: ExporterConfig[] = [];
  const sinks: SinkConfig[] = [];
  for (const [name, values] of raw) {
    const dot = name.indexOf('.');
    if (dot === -1) continue;
    const kind = name.slice(0, dot);
    const short = name.slice(dot + 1);
    if (kind === 'exporter') {
      const exporter = readExporterSection(new SectionReader(name, values, EXPORTER_KEYS), short, agent);
      if (exporter) exporters.push(exporter);
      continue;
    }
    const sinkKind = SINK_KINDS.find((k) => k.section === kind);
    if (!sinkKind) continue; // layers.ts only lets known kinds through
    const reader = new SectionReader(name, values, sectionKeys(name));
    if (reader.bool('enabled') === false) continue;
    const config = sinkKind.parse(reader, name);
    sinks.push({ kind, name, config, fingerprint: configFingerprint(config) });
  }
  exporters.sort((a, b) => (a.name < b.name ? -1 : 1));
  sinks.sort((a, b) => (a.name < b.name ? -1 : 1));
  checkUniqueJobs(raw, host, self, exporters);
  const config: AgentConfig = { files: [], agent, identity, labels, host, self, exporters, sinks };
  const remoteConfig = readRemoteConfigSection(
    new SectionReader('remote_config', section(raw, 'remote_config'), REMOTE_CONFIG_KEYS),
    identity.instance,
    agent.stateDir,
  );
  if (remoteConfig) config.remoteConfig = remoteConfig;
  return config;
}

/** The cached layer; with trusted keys, only when signed by one of them: a cache changed on disk is refused like a fetched layer. */
function readCachedLayer(remote: RemoteConfigSettings): string {
  const text = readFileSync(remote.cacheFile, 'utf8');
  if (!remote.trustedKeys) return text;
  try {
    verifyLayer(text, remote.trustedKeys);
  } catch (err) {
    throw new ConfigError(`${remote.url} (cached in ${remote.cacheFile})`, 'remote_config', 'trusted_keys', (err as Error).message);
  }
  return text;
}

function readAgent(r: SectionReader): AgentSettings {
  const level = r.string('log_level')!;
  if (!(LOG_LEVELS as string[]).includes(level)) throw r.error('log_level', `must be one of ${LOG_LEVELS.join(', ')}, got ${quoteInput(level)}`);
  const settings: AgentSettings = {
    intervalSeconds: r.duration('interval')!,
    timeoutSeconds: r.duration('timeout')!,
    splay: r.bool('splay')!,
    shutdownTimeoutSeconds: r.duration('shutdown_timeout')!,
    stateDir: r.requiredString('state_dir'),
    logLevel: level as LogLevel,
  };
  if (settings.timeoutSeconds >= settings.intervalSeconds)
    throw r.error('timeout', `must be shorter than interval (${settings.intervalSeconds}s), or cycles would overrun`);
  return settings;
}

function readLabels(values: SectionValues): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, v] of values) {
    const err = (message: string): ConfigError => new ConfigError(v.origin, 'labels', key, message);
    if (!LABEL_NAME_RE.test(key) || key.startsWith('__')) throw err(`${quoteInput(key)} is not a valid label name`);
    if (RESERVED_LABELS.has(key)) throw err(`${key} is set by edgepush itself (see [identity] and each source's job)`);
    if (Array.isArray(v.value)) throw err('a label takes one value, not a list');
    labels[key] = v.value;
  }
  return labels;
}

/** Two sources with one job would be one Pushgateway group, each push replacing the other's. */
function checkUniqueJobs(raw: RawConfig, host: HostConfig, self: SelfConfig, exporters: ExporterConfig[]): void {
  const owners = new Map<string, string>();
  const claim = (job: string, sectionName: string): void => {
    const prev = owners.get(job);
    if (prev !== undefined) {
      const values = raw.get(sectionName);
      const origin = values?.get('job')?.origin ?? [...(values?.values() ?? [])][0]?.origin ?? 'built-in default';
      throw new ConfigError(origin, sectionName, 'job', `job ${quoteInput(job)} is already used by [${prev}]; every source needs its own job`);
    }
    owners.set(job, sectionName);
  };
  if (host.enabled) claim(host.job, 'host');
  if (self.enabled) claim(self.job, 'self');
  for (const e of exporters) claim(e.job, `exporter.${e.name}`);
}

/** Every key of every section kind, for the configuration reference (check-config --keys). */
export function describeKeys(): Array<{ section: string; keys: readonly KeySpec[] }> {
  return [
    { section: 'agent', keys: AGENT_KEYS },
    { section: 'identity', keys: IDENTITY_KEYS },
    { section: 'labels', keys: [{ key: '<name>', kind: 'label_value', help: 'A static label added to every series of this box (e.g. site, customer).' }] },
    {
      section: 'host',
      keys: [...HOST_FIXED_KEYS, { key: 'path.* / collector.*', kind: 'string', help: "node_exporter's flags, by the same names (see edgepush run --help)." }],
    },
    { section: 'self', keys: SELF_KEYS },
    { section: 'remote_config', keys: REMOTE_CONFIG_KEYS },
    { section: 'exporter.<name>', keys: EXPORTER_KEYS },
    ...SINK_KINDS.map((k) => ({ section: `${k.section}.<name>`, keys: k.keys })),
  ];
}

#!/usr/bin/env node
/**
 * edgepush command line. `edgepush [command] [flags]`; the default command is `run`.
 */
import { encodeText } from './model/text-encoder.ts';
import { FlagError, formatFlagHelp, parseFlags, type FlagSpec } from './config/flags.ts';
import { parseGoDuration } from './sources/host/options.ts';
import { COLLECTORS } from './sources/host/registry.ts';
import { hostConfigFromFlags, hostFlagSpecs } from './sources/host/host-flags.ts';
import { HostSource } from './sources/host/host-source.ts';
import { LOG_LEVELS, setLogLevel, type LogLevel, log } from './log.ts';
import { COMMIT, VERSION } from './version.ts';
import { CONFIG_FLAGS, describeKeys, loadConfig, type AgentConfig } from './config/config.ts';
import { ConfigError, describeRange } from './config/schema.ts';
import { Agent, decommission, identityLabels } from './agent.ts';
import { findSinkKind } from './sinks/kinds.ts';
import { RemoteConfigFetcher } from './config/remote-config.ts';
import { configFingerprint } from './config/fingerprint.ts';
import { monotonicMs, readBootId, RestartBackoff, serviceStateFile } from './restart-backoff.ts';
import { isSea } from 'node:sea';
import { pathToFileURL } from 'node:url';

const COMMON_FLAGS: FlagSpec[] = [
  { name: 'log.level', kind: 'string', default: 'warn', help: `Log level: ${LOG_LEVELS.join(', ')}.` },
  { name: 'help', kind: 'bool', default: false, help: 'Show this help.' },
];

interface Command {
  summary: string;
  flags: () => FlagSpec[];
  run: (given: Map<string, unknown>, positional: string[]) => Promise<number>;
}

/** Flags of the commands that read the configuration: where it is, and overrides of its keys. */
function configCommandFlags(): FlagSpec[] {
  const common = COMMON_FLAGS.map((f) => (f.name === 'log.level' ? { ...f, default: '', help: `Overrides [agent] log_level (default info): ${LOG_LEVELS.join(', ')}.` } : f));
  return [...common, ...CONFIG_FLAGS, ...hostFlagSpecs(COLLECTORS)];
}

/** `remoteLayerText`: check this fetched layer instead of the cached one (throws on its errors). */
function configFromFlags(given: Map<string, unknown>, remoteLayerText?: string): AgentConfig {
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

/**
 * The [remote_config] fetcher of a running agent, kept in step with its
 * configuration: started, replaced or stopped as reloads change the section.
 */
export class RemoteConfigRunner {
  private fetcher: RemoteConfigFetcher | undefined;
  private readonly given: Map<string, unknown>;
  private readonly agent: Agent;
  private reportedLayerError: string | undefined;

  constructor(given: Map<string, unknown>, agent: Agent) {
    this.given = given;
    this.agent = agent;
  }

  /** SIGHUP and a new remote layer alike: the agent reloads, then the fetcher follows its settings. */
  reload(): void {
    this.agent.reload();
    this.sync();
  }

  sync(): void {
    const config = this.agent.currentConfig;
    if (config.remoteLayerError !== this.reportedLayerError && config.remoteLayerError) {
      log.error('the cached remote configuration does not load; running on the local files until the URL serves one that does', { err: config.remoteLayerError });
    }
    this.reportedLayerError = config.remoteLayerError;
    const settings = config.remoteConfig;
    if (this.fetcher && (!settings || this.fetcher.fingerprint !== configFingerprint(settings))) {
      void this.fetcher.stop();
      this.fetcher = undefined;
    }
    if (settings && !this.fetcher) {
      this.fetcher = new RemoteConfigFetcher({
        settings,
        validate: (text) => void configFromFlags(this.given, text),
        apply: () => this.reload(),
        log,
        registry: this.agent.metrics.registry,
      });
      this.fetcher.start();
    }
  }

  async stop(): Promise<void> {
    await this.fetcher?.stop();
    this.fetcher = undefined;
  }
}

/**
 * The configuration, or undefined after printing why it does not load (without
 * a stack: the error already names file, section and key).
 */
function loadConfigOrReport(command: string, given: Map<string, unknown>): AgentConfig | undefined {
  try {
    return configFromFlags(given);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`edgepush ${command}: invalid configuration: ${err.message}\n`);
    return undefined;
  }
}

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'Run the agent in the foreground (the default command): collect and push every interval.',
    flags: configCommandFlags,
    run: async (given) => {
      // Listening from the first moment: a SIGTERM that found the default action
      // in a gap between stages would kill the process instead of stopping it.
      const signals = listenForSignals();
      try {
        const restarts = serviceRestartBackoff();
        if (restarts) {
          const { failures, delayMs } = restarts.begin();
          if (delayMs > 0) {
            log.warn('the previous run failed soon after starting; waiting before starting again', { failures, wait: `${(delayMs / 1000).toFixed(1)}s` });
            if ((await signals.stopOr(delayMs)) !== undefined) {
              restarts.stopped();
              return 0;
            }
          }
        }
        const config = loadConfigOrReport('run', given);
        if (!config) return 1;
        const agent = new Agent({ config, reloadConfig: () => configFromFlags(given) });
        const remote = new RemoteConfigRunner(given, agent);
        signals.onReload(() => remote.reload());
        agent.start();
        remote.sync();
        // A second signal (e.g. SIGINT to the terminal's group, then SIGTERM) must not cut the graceful stop short: it is ignored.
        const signal = await signals.stopped;
        log.info('stopping', { signal });
        signals.onReload(() => {});
        await remote.stop();
        try {
          await agent.stop();
        } catch (err) {
          log.error('unclean stop', { err });
          return 1;
        }
        restarts?.stopped();
        return 0;
      } finally {
        signals.dispose();
      }
    },
  },
  'check-config': {
    summary: 'Validate the configuration (every layer and flag), print a summary, exit non-zero when invalid.',
    flags: () => [...configCommandFlags(), { name: 'keys', kind: 'bool', default: false, help: 'Print every configuration key with its help instead.' }],
    run: async (given) => {
      if (given.get('keys') === true) {
        await writeStdout(formatKeyReference());
        return 0;
      }
      const config = loadConfigOrReport('check-config', given);
      if (!config) return 1;
      await writeStdout(summarize(config));
      return 0;
    },
  },
  decommission: {
    summary: "Delete every group this box pushed from every Pushgateway (used when the package is purged).",
    flags: () => [...configCommandFlags(), { name: 'timeout', kind: 'duration', default: '30s', min: '1s', max: '1h', help: 'Give up after this long.' }],
    run: async (given) => {
      const config = loadConfigOrReport('decommission', given);
      if (!config) return 1;
      const { done, failures } = await decommission(config, parseGoDuration(String(given.get('timeout') ?? '30s')));
      for (const d of done) await writeStdout(`edgepush decommission: ${d}: every group of instance ${config.identity.instance} deleted\n`);
      for (const f of failures) process.stderr.write(`edgepush decommission: ${f}\n`);
      return failures.length ? 1 : 0;
    },
  },
  once: {
    summary: 'Collect host metrics once and print them in text exposition format on stdout.',
    flags: () => [...COMMON_FLAGS, ...hostFlagSpecs(COLLECTORS)],
    run: async (given, positional) => {
      // A stray word is most likely a flag missing its dashes: say so rather than ignore it.
      if (positional.length > 0) {
        process.stderr.write(`edgepush once: unexpected argument ${JSON.stringify(positional[0])} (flags are --long-names; see --help)\n`);
        return 2;
      }
      const config = hostConfigFromFlags(COLLECTORS, given as Map<string, never>);
      const source = new HostSource(COLLECTORS, config);
      const families = await source.collect();
      await writeStdout(encodeText(families));
      return 0;
    },
  },
  version: {
    summary: 'Print version, commit and Node.js version.',
    flags: () => COMMON_FLAGS,
    run: async () => {
      await writeStdout(`edgepush ${VERSION} (commit ${COMMIT}, node ${process.version}, ${process.platform}/${process.arch})\n`);
      return 0;
    },
  },
};

/** The restart back-off when running as the systemd service (see restart-backoff.ts). */
function serviceRestartBackoff(): RestartBackoff | undefined {
  const stateFile = serviceStateFile();
  return stateFile ? new RestartBackoff({ stateFile, bootId: readBootId, nowMs: monotonicMs, log }) : undefined;
}

interface RunSignals {
  /** The first SIGTERM or SIGINT. */
  stopped: Promise<NodeJS.Signals>;
  /** Waits `ms`, or less when a stop signal comes first (then resolves to it). */
  stopOr(ms: number): Promise<NodeJS.Signals | undefined>;
  /** What SIGHUP does from now on (nothing until the agent runs: the configuration is read after any wait). */
  onReload(fn: () => void): void;
  dispose(): void;
}

function listenForSignals(): RunSignals {
  let reload = (): void => {};
  let resolveStop!: (signal: NodeJS.Signals) => void;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (resolveStop = resolve));
  const onStop = (signal: NodeJS.Signals): void => resolveStop(signal);
  const onHup = (): void => reload();
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  return {
    stopped,
    stopOr: (ms) => {
      let timer: NodeJS.Timeout | undefined;
      const elapsed = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
      return Promise.race([stopped, elapsed]).finally(() => clearTimeout(timer));
    },
    onReload: (fn) => {
      reload = fn;
    },
    dispose: () => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHup);
    },
  };
}

function summarize(c: AgentConfig): string {
  const lines = [
    `configuration OK`,
    `files: ${c.files.length ? c.files.join(', ') : '(none: built-in defaults)'}`,
    `instance: ${c.identity.instance} (from ${c.identity.from})`,
    `labels: ${Object.entries(c.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ') || '(none)'}`,
    `interval: ${c.agent.intervalSeconds}s, source timeout: ${c.agent.timeoutSeconds}s, splay: ${c.agent.splay ? 'on' : 'off'}, state dir: ${c.agent.stateDir}`,
    `source host: ${c.host.enabled ? `job=${c.host.job}, ${c.host.source.enabled.size} collectors (${[...c.host.source.enabled].sort().join(', ')})` : 'disabled'}`,
    `source self: ${c.self.enabled ? `job=${c.self.job}` : 'disabled'}`,
    ...c.exporters.map((e) => `source exporter.${e.name}: job=${e.job} url=${e.url} timeout=${e.timeoutSeconds}s`),
    ...(c.remoteConfig
      ? [`remote config: ${c.remoteConfig.url} every ${c.remoteConfig.intervalSeconds}s; cached layer ${c.remoteLayerError ? `left out (it does not load: ${c.remoteLayerError})` : c.files.some((f) => f.startsWith(c.remoteConfig!.url)) ? 'in use' : 'none yet'}`]
      : []),
    // Only where a sink sends or serves: its other settings may hold secrets.
    ...c.sinks.map((s) => `sink ${s.name}: ${findSinkKind(s.kind)?.describe(s.config, identityLabels(c)) ?? ''}`),
  ];
  if (c.sinks.length === 0) lines.push(c.remoteConfig ? 'no sink configured yet: they may come with the remote configuration' : 'warning: no sink configured: nothing will be pushed');
  return lines.join('\n') + '\n';
}

function formatKeyReference(): string {
  const out: string[] = [];
  for (const { section, keys } of describeKeys()) {
    out.push(`[${section}]`);
    for (const k of keys) {
      const range = describeRange(k);
      out.push(`  ${k.key.endsWith('.') ? k.key + '<name>' : k.key}${k.default !== undefined ? ` = ${k.default}` : ''}${range === undefined ? '' : ` (${range})`}\n      ${k.help}`);
    }
    out.push('');
  }
  return out.join('\n');
}

function usage(): string {
  const cmds = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`)
    .join('\n');
  return `usage: edgepush <command> [flags]\n\nCommands:\n${cmds}\n\nRun "edgepush <command> --help" for the flags of a command.\n`;
}

function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}

export async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first === '--help' || first === 'help' || first === '-h') {
    process.stdout.write(usage());
    return 0;
  }
  const name = first === undefined || first.startsWith('-') ? 'run' : first;
  const args = first === undefined || first.startsWith('-') ? argv : argv.slice(1);
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`edgepush: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  const specs = command.flags();
  let parsed;
  try {
    parsed = parseFlags(args, specs);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`edgepush ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.given.get('help') === true) {
    process.stdout.write(`usage: edgepush ${name} [flags]\n\n${command.summary}\n\nFlags:\n${formatFlagHelp(specs)}\n`);
    return 0;
  }
  const level = parsed.given.get('log.level');
  if (level !== undefined) {
    if (!(LOG_LEVELS as string[]).includes(String(level))) {
      process.stderr.write(`edgepush ${name}: flag --log.level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}\n`);
      return 2;
    }
    setLogLevel(level as LogLevel);
  }
  return command.run(parsed.given, parsed.positional);
}

// Inside the single executable there is no script path; isSea() comes first
// because import.meta is empty in the executable's CommonJS bundle.
const isMain = isSea() || (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      log.error('fatal', { err });
      process.exitCode = 1;
    },
  );
}

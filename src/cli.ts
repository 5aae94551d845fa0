#!/usr/bin/env node
/**
 * edgepush command line. `edgepush [command] [flags]`; the default command is `run`.
 */
import { encodeText } from './model/text-encoder.ts';
import { FlagError, formatFlagHelp, parseFlags, type FlagSpec } from './config/flags.ts';
import { parseGoDuration } from './config/duration.ts';
import { COLLECTORS } from './sources/host/machinery/registry.ts';
import { hostConfigFromFlags, hostFlagSpecs } from './sources/host/machinery/host-flags.ts';
import { CollectorRunner } from './sources/host/machinery/collector-runner.ts';
import { LOG_LEVELS, setLogLevel, type LogLevel, log } from './log.ts';
import { COMMIT, VERSION } from './version.ts';
import { CONFIG_FLAGS, loadConfigFromFlags, type AgentConfig } from './config/config.ts';
import { ConfigError } from './config/schema.ts';
import { formatKeyReference, summarizeConfig } from './config/summary.ts';
import { configCommand } from './config/remote/sign-command.ts';
import { decommission } from './agent.ts';
import { runAgent } from './run.ts';
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
  const common = COMMON_FLAGS.map((f) =>
    f.name === 'log.level' ? { ...f, default: '', help: `Overrides [agent] log_level (default info): ${LOG_LEVELS.join(', ')}.` } : f,
  );
  return [...common, ...CONFIG_FLAGS, ...hostFlagSpecs(COLLECTORS)];
}

/**
 * The configuration, or undefined after printing why it does not load (without
 * a stack: the error already names file, section and key).
 */
function loadConfigOrReport(command: string, given: Map<string, unknown>): AgentConfig | undefined {
  try {
    return loadConfigFromFlags(given);
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
    run: (given) => runAgent(given, () => loadConfigOrReport('run', given)),
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
      await writeStdout(summarizeConfig(config));
      return 0;
    },
  },
  decommission: {
    summary:
      'Delete every group this box pushed from every gateway of every Pushgateway sink and tier, and from gateways it remembers pushing to (used when the package is purged).',
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
      const source = new CollectorRunner(COLLECTORS, config);
      const families = await source.collect();
      await writeStdout(encodeText(families));
      return 0;
    },
  },
  config: {
    summary:
      'Remote configuration layers: "config keygen --key FILE" makes an ed25519 key pair, "config sign --key FILE --version N LAYER" prints LAYER signed.',
    flags: () => [
      ...COMMON_FLAGS,
      { name: 'key', kind: 'string', default: '', help: 'The private key (PEM): written by keygen, read by sign.', placeholder: 'FILE' },
      { name: 'version', kind: 'int', default: 0, help: 'sign: the layer version (higher than every version the fleet has applied).' },
    ],
    run: (given, positional) =>
      configCommand(positional, String(given.get('key') ?? ''), given.has('version') ? Number(given.get('version')) : undefined, writeStdout),
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

#!/usr/bin/env node
/**
 * edgepush command line. `edgepush [command] [flags]`; the default command is `run`.
 */
import { encodeText } from './model/text-encoder.ts';
import { FlagError, formatFlagHelp, parseFlags, type FlagSpec } from './config/flags.ts';
import { COLLECTORS } from './sources/host/registry.ts';
import { hostConfigFromFlags, hostFlagSpecs } from './sources/host/host-flags.ts';
import { HostSource } from './sources/host/host-source.ts';
import { LOG_LEVELS, setLogLevel, type LogLevel, log } from './log.ts';
import { COMMIT, VERSION } from './version.ts';
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

const COMMANDS: Record<string, Command> = {
  once: {
    summary: 'Collect host metrics once and print them in text exposition format on stdout.',
    flags: () => [...COMMON_FLAGS, ...hostFlagSpecs(COLLECTORS)],
    run: async (given) => {
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
  if (first === undefined || first === '--help' || first === 'help' || first === '-h') {
    process.stdout.write(usage());
    return first === undefined ? 2 : 0;
  }
  const name = first.startsWith('-') ? 'run' : first;
  const args = first.startsWith('-') ? argv : argv.slice(1);
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

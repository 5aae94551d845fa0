/**
 * edgepush(1), generated from the CLI's own help texts so the manual lists
 * every command and every flag the binary has, and never drifts from it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './peers.ts';

function help(args: readonly string[]): string {
  return execFileSync(process.execPath, ['--no-warnings', path.join(REPO_ROOT, 'src', 'cli.ts'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

/** Names listed under "Commands:" in `edgepush --help`. */
export function commandNames(usage: string): string[] {
  const section = usage.split(/^Commands:\n/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\S+) +\S/gm)].map((m) => m[1] as string);
}

/** Escapes text for roff: backslashes, and leading dots or quotes that roff would read as requests. */
function roff(text: string): string {
  return text
    .replaceAll('\\', '\\e')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

const FILES: Array<[string, string]> = [
  ['/usr/lib/edgepush/defaults.ini', 'Vendor defaults, replaced on upgrade. Do not edit.'],
  ['/etc/edgepush/edgepush.ini', "The box's configuration (a conffile: kept on upgrade)."],
  ['/etc/edgepush/conf.d/*.ini', 'Drop-in files, read in sorted order after edgepush.ini; later wins.'],
  ['/var/lib/edgepush', 'State directory: pushed groups, remote-write queues, the restart record.'],
  ['/var/lib/edgepush/remote-config.ini', 'The last layer fetched from [remote_config] url that loaded; read at start and on reload, below edgepush.ini.'],
  ['/usr/share/edgepush/alerts', 'Prometheus alerting rules for the pushed metrics.'],
  ['/usr/share/doc/edgepush/examples/edgepush.ini', 'Documented example configuration.'],
];

export function manPage(version: string, date: string): string {
  const usage = help(['--help']);
  const out: string[] = [
    `.TH EDGEPUSH 1 "${date}" "edgepush ${version}" "User Commands"`,
    '.SH NAME',
    'edgepush \\- push host metrics and local exporters to Prometheus Pushgateways and remote write',
    '.SH SYNOPSIS',
    '.B edgepush',
    '.RI [ command ]',
    '.RI [ flags ]',
    '.SH DESCRIPTION',
    "edgepush collects the host's metrics in node_exporter's format, scrapes the configured local",
    'exporters and textfile directory, and pushes everything to every configured gateway.',
    'Installed from the package it runs as the systemd service',
    '.BR edgepush.service ;',
    '.B systemctl reload edgepush',
    're-reads the configuration (SIGHUP).',
    '.PP',
    '.nf',
    roff(usage.trimEnd()),
    '.fi',
    '.SH COMMANDS',
  ];
  for (const name of commandNames(usage)) {
    out.push(`.SS ${name}`, '.nf', roff(help([name, '--help']).trimEnd()), '.fi');
  }
  out.push('.SH FILES');
  for (const [file, what] of FILES) out.push('.TP', `.I ${file}`, roff(what));
  out.push('.SH SEE ALSO', '.BR systemctl (1),', '.BR journalctl (1)', '');
  return out.join('\n');
}

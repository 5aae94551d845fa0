/**
 * The textfile collector: metrics from `*.prom` files in the directories
 * (or glob patterns) of --collector.textfile.directory, with node_exporter
 * 1.12's rules: a file that fails to parse or carries client-side
 * timestamps is skipped whole and sets node_textfile_scrape_error to 1;
 * node_textfile_mtime_seconds gives each file read successfully. Files are
 * parsed by the project's one parser, in its expfmt-lenient mode so that a
 * family continued after another one, or a repeated series (the first is
 * kept), is accepted as node_exporter accepts it; a label value that is not
 * UTF-8 fails the file, as expfmt's parser does.
 */
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { MetricFamily } from '../../../model/family.ts';
import { readExposition } from '../../../model/exposition-reader.ts';
import type { Logger } from '../../../log.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { BadPatternError, goGlob } from '../machinery/go-glob.ts';
import { compareBytes } from '../kernel-files/dir.ts';
import { mergeTextfiles, normalizeFileFamilies, type TextfileFamilies } from '../machinery/textfile-merge.ts';

const DIRECTORY_OPTION = 'collector.textfile.directory';

export const textfile: CollectorDefinition = {
  name: 'textfile',
  defaultEnabled: true,
  description: 'Exposes metrics from *.prom files in the textfile directories.',
  options: [
    { name: DIRECTORY_OPTION, kind: 'strings', default: [], path: true, help: 'Directory to read text files with metrics from, supports glob matching.' },
  ],
  create: stateless(({ options, log }) => collectTextfiles(options.strings(DIRECTORY_OPTION), log)),
};

export async function collectTextfiles(patterns: readonly string[], log: Logger): Promise<MetricFamily[]> {
  let errored = false;
  const parsed: TextfileFamilies[] = [];
  const mtimes = new Map<string, number>();

  for (const dir of await expandPatterns(patterns)) {
    let names: string[];
    try {
      names = (await readdir(dir)).sort(compareBytes);
    } catch (err) {
      // node_exporter's default directory is "": reading it fails silently.
      if (dir !== '') {
        errored = true;
        log.error('failed to read textfile collector directory', { path: dir, err });
      }
      continue;
    }
    for (const name of names) {
      if (!name.endsWith('.prom')) continue;
      const file = path.join(dir, name);
      const result = await readTextfile(file, log);
      if (result.families) parsed.push({ path: file, families: result.families });
      if (result.error) {
        errored = true;
        log.error('failed to collect textfile data', { file: name, err: result.error });
        continue;
      }
      mtimes.set(file, result.mtimeSeconds!);
    }
  }

  const merged = mergeTextfiles(parsed, log);
  const out = merged.families;
  if (mtimes.size > 0) {
    out.push({
      name: 'node_textfile_mtime_seconds',
      help: 'Unixtime mtime of textfiles successfully read.',
      type: 'gauge',
      samples: [...mtimes.keys()].sort(compareBytes).map((file) => ({ name: 'node_textfile_mtime_seconds', labels: { file }, value: mtimes.get(file)! })),
    });
  }
  out.push({
    name: 'node_textfile_scrape_error',
    help: '1 if there was an error opening or reading a file, 0 otherwise',
    type: 'gauge',
    samples: [{ name: 'node_textfile_scrape_error', labels: {}, value: errored || merged.helpConflict ? 1 : 0 }],
  });
  return out;
}

/** Each pattern's glob matches; a pattern matching nothing (or malformed) is taken as a directory name, as node_exporter does. */
async function expandPatterns(patterns: readonly string[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const pattern of patterns) {
    let matches: string[] = [];
    try {
      matches = await goGlob(pattern);
    } catch (err) {
      if (!(err instanceof BadPatternError)) throw err;
    }
    dirs.push(...(matches.length > 0 ? matches : [pattern]));
  }
  return dirs;
}

interface TextfileResult {
  families?: MetricFamily[];
  mtimeSeconds?: number;
  error?: Error;
}

async function readTextfile(file: string, log: Logger): Promise<TextfileResult> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return { error: new Error(`failed to open textfile data file ${JSON.stringify(file)}: ${(err as Error).message}`) };
  }
  try {
    let bytes: Buffer;
    try {
      bytes = await handle.readFile();
    } catch (err) {
      return { error: new Error(`failed to read textfile data from ${JSON.stringify(file)}: ${(err as Error).message}`) };
    }
    let families: MetricFamily[];
    try {
      const parsed = readExposition(bytes, { expfmtLenient: true, requireFinalNewline: true }).families;
      if (parsed.some((f) => f.samples.some((s) => s.timestampMs !== undefined))) {
        return { error: new Error(`textfile ${JSON.stringify(file)} contains unsupported client-side timestamps, skipping entire file`) };
      }
      families = normalizeFileFamilies(
        parsed.map((f) => (f.help === '' ? withoutHelp(f) : f)),
        log,
      );
    } catch (err) {
      return { error: new Error(`failed to parse textfile data from ${JSON.stringify(file)}: ${(err as Error).message}`) };
    }
    // Stat only once the file is parsed and valid, so a broken file never looks fresh.
    try {
      const st = await handle.stat({ bigint: true });
      return { families, mtimeSeconds: Number(st.mtimeNs / 1_000_000_000n) };
    } catch (err) {
      return { families, error: new Error(`failed to stat ${JSON.stringify(file)}: ${(err as Error).message}`) };
    }
  } finally {
    await handle.close();
  }
}

/** expfmt treats `# HELP name ` with empty text as no HELP at all (the family then gets "Metric read from ..."). */
function withoutHelp(family: MetricFamily): MetricFamily {
  const { help: _help, ...rest } = family;
  return rest;
}

/**
 * Small state files the agent keeps across restarts (pushed groups, last
 * series, restart back-off). A crash or power cut mid-write must leave either
 * the old or the new content, never half of one: write beside, then rename.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

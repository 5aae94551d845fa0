/**
 * Extracts node_exporter's ttar archives (sys.ttar, udev.ttar), which the
 * repository keeps instead of the unpacked trees; they hold the symlinks
 * sysfs collectors rely on (class/hwmon, class/net/eth0, class/thermal...).
 * Format: "Directory: p", or "Path: p" followed by
 * "Lines: n" and n content lines (a last line ending in "EOF" has no newline,
 * NUL bytes are spelt NULLBYTE) or by "SymlinkTo: target"; then "Mode: nnn".
 */
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function extractTtar(archive: string, destination: string): void {
  // latin1 keeps every byte as one char, so binary files survive the round trip.
  const lines = readFileSync(archive, 'latin1').split('\n');
  let current: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const [key, ...rest] = line.split(': ');
    const value = rest.join(': ');
    if (key === 'Directory') {
      mkdirSync(path.join(destination, value), { recursive: true });
      current = undefined;
    } else if (key === 'Path') {
      current = path.join(destination, value);
      mkdirSync(path.dirname(current), { recursive: true });
    } else if (key === 'Lines' && current) {
      const n = Number(value);
      const body = lines.slice(i + 1, i + 1 + n).map((l) => l.replaceAll('NULLBYTE', '\0'));
      let text = body.map((l) => l + '\n').join('');
      if (n > 0 && body[n - 1]!.endsWith('EOF')) text = text.slice(0, -'EOF\n'.length);
      writeFileSync(current, Buffer.from(text, 'latin1'));
      i += n;
    } else if (key === 'SymlinkTo' && current) {
      symlinkSync(value, current);
      current = undefined;
    } else if (key === 'Mode' && current) {
      chmodSync(current, parseInt(value, 8));
    }
  }
}

/**
 * Pushgateway grouping-key URL paths: /metrics/job/<job>/<label>/<value>...
 * A value that is empty or holds anything but plain characters (notably '/')
 * is written in the `<label>@base64/<base64url>` form the Pushgateway decodes;
 * the empty value is `=` there.
 */
import type { Labels } from '../model/family.ts';

const PLAIN_VALUE = /^[A-Za-z0-9_.:-]+$/;

function segment(name: string, value: string): string {
  if (PLAIN_VALUE.test(value)) return `${name}/${value}`;
  if (value === '') return `${name}@base64/=`;
  return `${name}@base64/${Buffer.from(value, 'utf8').toString('base64url')}`;
}

/** The group's path below the gateway's base URL; labels other than job in sorted order, so a group has one path. */
export function groupPath(grouping: Labels): string {
  const job = grouping['job'];
  if (job === undefined || job === '') throw new Error('a Pushgateway group needs a non-empty job label');
  let p = `/metrics/${segment('job', job)}`;
  for (const name of Object.keys(grouping).sort()) {
    if (name === 'job') continue;
    p += `/${segment(name, grouping[name]!)}`;
  }
  return p;
}

/** Inverse of groupPath (for state files and tests). */
export function parseGroupPath(p: string): Record<string, string> {
  const parts = p.replace(/^\/metrics\//, '').split('/');
  if (parts.length % 2 !== 0) throw new Error(`not a group path: ${p}`);
  const out: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 2) {
    const rawName = parts[i]!;
    const value = parts[i + 1]!;
    if (rawName.endsWith('@base64')) out[rawName.slice(0, -7)] = value === '=' ? '' : Buffer.from(value, 'base64url').toString('utf8');
    else out[rawName] = decodeURIComponent(value);
  }
  return out;
}

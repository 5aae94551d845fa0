import { FamilySet } from '../../../model/family.ts';
import { NoDataError } from '../kernel-files/no-data.ts';
import { stateless, type CollectorDefinition } from '../machinery/collector.ts';
import { readOsRelease, OS_RELEASE_FILES } from '../procfs/os-release.ts';

const INFO_LABELS = [
  'build_id',
  'id',
  'id_like',
  'image_id',
  'image_version',
  'name',
  'pretty_name',
  'variant',
  'variant_id',
  'version',
  'version_codename',
  'version_id',
];

/** The leading major.minor of VERSION_ID ("20.04" → 20.04, "11" → 11, "rolling" → 0). */
export function majorMinor(versionId: string): number {
  const m = /^[0-9]+\.?[0-9]*/.exec(versionId);
  return m ? Number(m[0]) : 0;
}

/** SUPPORT_END (YYYY-MM-DD) as Unix seconds at midnight UTC. */
function supportEndSeconds(value: string, file: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || new Date(ms).getUTCDate() !== Number(m[3])) throw new Error(`${file}: SUPPORT_END ${JSON.stringify(value)} is not a YYYY-MM-DD date`);
  return ms / 1000;
}

export const os: CollectorDefinition = {
  name: 'os',
  defaultEnabled: true,
  description: 'Expose OS release info',
  create: stateless(async ({ paths }) => {
    const release = await readOsRelease(paths.rootfs);
    if (!release) throw new NoDataError(`no os-release file found (${OS_RELEASE_FILES.join(', ')} under ${paths.rootfs})`);
    const get = (label: string): string => release.vars.get(label.toUpperCase()) ?? '';
    const out = new FamilySet();
    out.gauge(
      'node_os_info',
      "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
      1,
      Object.fromEntries(INFO_LABELS.map((l) => [l, get(l)])),
    );
    const version = majorMinor(get('version_id'));
    if (version > 0)
      out.gauge('node_os_version', 'Metric containing the major.minor part of the OS version.', version, {
        id: get('id'),
        id_like: get('id_like'),
        name: get('name'),
      });
    const supportEnd = get('support_end');
    if (supportEnd !== '')
      out.gauge(
        'node_os_support_end_timestamp_seconds',
        'Metric containing the end-of-life date timestamp of the OS.',
        supportEndSeconds(supportEnd, release.file),
      );
    return out.toArray();
  }),
};

/** [remote_config]: its settings, keys (with help) and parser. */
import path from 'node:path';
import { HTTP_CLIENT_KEYS, readHttpClientConfig, type HttpClientConfig } from '../../http/client.ts';
import { parseUrl, type KeySpec, type SectionReader } from '../schema.ts';
import { readTrustedKeys, type TrustedKey } from './layer-signature.ts';

const REMOTE_CACHE_FILE = 'remote-config.ini';

/** [remote_config]: a configuration layer fetched from a URL (fetcher.ts). */
export interface RemoteConfigSettings {
  /** With `{instance}` replaced by the box's instance. */
  url: string;
  intervalSeconds: number;
  http: HttpClientConfig;
  /** The last fetched layer that was valid: read at start (offline starts) and on reload. */
  cacheFile: string;
  /** The box's instance, sent to the config server (X-Edgepush-Instance). */
  instance: string;
  /** When set, a layer is used only if signed by one of these (layer-signature.ts). */
  trustedKeys?: TrustedKey[];
  /** Cycles a new layer may break every push before the last known-good one comes back; 0: never. */
  revertAfterFailedCycles: number;
}

export const REMOTE_CONFIG_KEYS: readonly KeySpec[] = [
  {
    key: 'url',
    kind: 'string',
    connection: true,
    help: 'Fetch a configuration layer (INI) from this http(s) URL; {instance} is replaced by the box instance. The layer sits between defaults.ini and edgepush.ini, so the local files override it.',
  },
  {
    key: 'interval',
    kind: 'duration',
    default: '5m',
    min: '1s',
    max: '24h',
    help: 'How often the URL is fetched (with 10% jitter). At least 1s (a fleet asking that often is a load on the config server, not a faster roll-out; minutes are usual).',
  },
  ...HTTP_CLIENT_KEYS.map((k) => (k.key === 'timeout' ? { ...k, default: '10s' } : k)),
  {
    key: 'trusted_keys',
    kind: 'path',
    help: 'File of PEM ed25519 public keys: a layer is used only when signed by one of them (edgepush config sign). Unset: layers are not verified.',
  },
  {
    key: 'revert_after_failed_cycles',
    kind: 'int',
    default: '4',
    min: '1',
    max: '1000',
    zeroDisables: true,
    help: 'Return to the last known-good layer when a new one makes every push that worked fail for this many cycles; 0 never reverts.',
  },
];

/** `[remote_config]`, undefined when it names no URL. `instance`: the box's, for `{instance}` in the URL. */
export function readRemoteConfigSection(r: SectionReader, instance: string, stateDir: string): RemoteConfigSettings | undefined {
  const source = readSource(r, instance, stateDir);
  return source && { ...source, ...readTrust(r, instance) };
}

function readSource(r: SectionReader, instance: string, stateDir: string): Omit<RemoteConfigSettings, keyof RemoteTrust> | undefined {
  const template = r.string('url');
  if (!template) return undefined;
  let url: URL;
  try {
    // Checked once {instance} is in: an instance may hold anything, and the URL is logged and printed.
    url = parseUrl(template.replaceAll('{instance}', encodeURIComponent(instance)));
  } catch (err) {
    throw r.error('url', (err as Error).message);
  }
  return { url: url.href, intervalSeconds: r.duration('interval')!, http: readHttpClientConfig(r, 10), cacheFile: path.join(stateDir, REMOTE_CACHE_FILE) };
}

/** What the box trusts and tells about remote layers (layer-signature.ts, revert-watch.ts), beside where they come from. */
type RemoteTrust = Pick<RemoteConfigSettings, 'instance' | 'trustedKeys' | 'revertAfterFailedCycles'>;

function readTrust(r: SectionReader, instance: string): RemoteTrust {
  const trust: RemoteTrust = { instance, revertAfterFailedCycles: r.int('revert_after_failed_cycles')! };
  const keysFile = r.string('trusted_keys');
  if (!keysFile) return trust;
  try {
    return { ...trust, trustedKeys: readTrustedKeys(keysFile) };
  } catch (err) {
    throw r.error('trusted_keys', (err as Error).message);
  }
}

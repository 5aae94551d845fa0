/**
 * The signed envelope of a remote configuration layer. The signature travels
 * in the layer itself, not in a header, so it survives proxies and the cached
 * copy can be verified again at every load (a cache edited on disk is refused
 * too). Both header lines are INI comments: the rest parses as any layer.
 *
 *   #edgepush-signature ed25519 <key id> <base64 signature>
 *   #edgepush-version <N>
 *   [pushgateway.central]
 *   ...
 *
 * The signature covers the exact bytes after the first line, which must begin
 * with the version line, so the version cannot be changed without the key.
 * The key id is a digest of the raw public key: it names which trusted key
 * signed, so rotation (several trusted keys) costs one verification.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const SIGNATURE_PREFIX = '#edgepush-signature ';
const VERSION_PREFIX = '#edgepush-version ';
const PEM_PUBLIC_KEY_RE = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** Why a fetched layer is not applied: the label of edgepush_remote_config_refusals_total. */
export type RefusalReason = 'unsigned' | 'malformed' | 'unknown_key' | 'bad_signature' | 'old_version' | 'reverted' | 'invalid';

export class LayerRefusal extends Error {
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string) {
    super(message);
    this.name = 'LayerRefusal';
    this.reason = reason;
  }
}

/** A public key a layer may be signed with. */
export interface TrustedKey {
  id: string;
  pem: string;
}

interface Envelope {
  signature?: { algorithm: string; keyId: string; value: Buffer };
  /** The bytes the signature covers: everything after the signature line. */
  signed: string;
  version?: number;
}

/** Short, stable name of an ed25519 key: the first 16 hex digits of the SHA-256 of its raw 32 bytes. */
export function keyIdOf(key: KeyObject): string {
  const raw = Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url');
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/** Every PEM public key of the file; each must be ed25519. Throws an Error saying which one is wrong (the caller names the file). */
export function readTrustedKeys(file: string): TrustedKey[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const pems = text.match(PEM_PUBLIC_KEY_RE) ?? [];
  if (pems.length === 0) throw new Error('the file holds no PEM public key (-----BEGIN PUBLIC KEY-----)');
  return pems.map((pem, i) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (err) {
      throw new Error(`key ${i + 1} of the file is not a valid public key: ${(err as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key ${i + 1} of the file is ${key.asymmetricKeyType}, not ed25519`);
    return { id: keyIdOf(key), pem };
  });
}

/** The version of a layer (its `#edgepush-version` line), signed or not; undefined when it has none. */
export function layerVersion(text: string): number | undefined {
  return readEnvelope(text).version;
}

/** A layer's text with any envelope lines removed: what an operator edits and signs. */
export function stripEnvelope(text: string): string {
  let rest = text;
  if (rest.startsWith(SIGNATURE_PREFIX)) rest = afterFirstLine(rest);
  if (rest.startsWith(VERSION_PREFIX)) rest = afterFirstLine(rest);
  return rest;
}

/** `edgepush config keygen`: a new ed25519 key pair, the private key written to a new file readable by its owner only. */
export function generateSigningKey(privateKeyFile: string): { publicKey: string; id: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // 'wx': an existing key is never overwritten (it may be the fleet's only one).
  writeFileSync(privateKeyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  return { publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(), id: keyIdOf(publicKey) };
}

/** The signed layer: `edgepush config sign`. */
export function signLayer(text: string, privateKey: KeyObject, version: number): string {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key is ${privateKey.asymmetricKeyType}, not ed25519`);
  checkVersion(version);
  const signed = `${VERSION_PREFIX}${version}\n${stripEnvelope(text)}`;
  const signature = sign(null, Buffer.from(signed, 'utf8'), privateKey).toString('base64');
  return `${SIGNATURE_PREFIX}ed25519 ${keyIdOf(createPublicKey(privateKey))} ${signature}\n${signed}`;
}

/** Verifies a layer against the trusted keys; returns its version. Throws LayerRefusal. */
export function verifyLayer(text: string, keys: readonly TrustedKey[]): number {
  const envelope = readEnvelope(text);
  if (!envelope.signature)
    throw new LayerRefusal('unsigned', 'the layer is not signed (no #edgepush-signature first line) and [remote_config] trusted_keys is set');
  const { algorithm, keyId, value } = envelope.signature;
  if (algorithm !== 'ed25519') throw new LayerRefusal('malformed', `unsupported signature algorithm ${JSON.stringify(algorithm)} (only ed25519)`);
  const key = keys.find((k) => k.id === keyId);
  if (!key) throw new LayerRefusal('unknown_key', `signed by key ${keyId}, which is not among the trusted keys (${keys.map((k) => k.id).join(', ')})`);
  if (!verify(null, Buffer.from(envelope.signed, 'utf8'), createPublicKey(key.pem), value))
    throw new LayerRefusal('bad_signature', `the signature by key ${keyId} does not match the layer: it was changed after signing`);
  if (envelope.version === undefined) throw new LayerRefusal('malformed', 'the signed layer has no #edgepush-version line after the signature');
  return envelope.version;
}

function readEnvelope(text: string): Envelope {
  if (!text.startsWith(SIGNATURE_PREFIX)) return { signed: text, ...versionOf(text) };
  const line = firstLine(text);
  const fields = line.slice(SIGNATURE_PREFIX.length).trim().split(/\s+/);
  if (fields.length !== 3)
    throw new LayerRefusal(
      'malformed',
      `the signature line must be "#edgepush-signature ed25519 <key id> <base64 signature>", got ${JSON.stringify(line.slice(0, 200))}`,
    );
  const [algorithm, keyId, value] = fields as [string, string, string];
  const signed = afterFirstLine(text);
  return { signature: { algorithm, keyId, value: Buffer.from(value, 'base64') }, signed, ...versionOf(signed) };
}

function versionOf(text: string): { version?: number } {
  if (!text.startsWith(VERSION_PREFIX)) return {};
  const given = firstLine(text).slice(VERSION_PREFIX.length).trim();
  if (!/^\d+$/.test(given))
    throw new LayerRefusal('malformed', `the version line must be "#edgepush-version <non-negative integer>", got ${JSON.stringify(given.slice(0, 100))}`);
  const version = Number(given);
  checkVersion(version);
  return { version };
}

function checkVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) throw new LayerRefusal('malformed', `layer version ${version} is not a non-negative integer below 2^53`);
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).replace(/\r$/, '');
}

function afterFirstLine(text: string): string {
  const end = text.indexOf('\n');
  return end === -1 ? '' : text.slice(end + 1);
}

/**
 * The signed envelope of a remote layer: what verifies, what is refused and
 * why, key files, key ids, and agreement with the documented openssl lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../helpers/cli.ts';
import {
  generateSigningKey,
  keyIdOf,
  layerVersion,
  LayerRefusal,
  readTrustedKeys,
  signLayer,
  stripEnvelope,
  verifyLayer,
  type RefusalReason,
  type TrustedKey,
} from '../../../src/config/remote/layer-signature.ts';

const LAYER = '[pushgateway.central]\nurl = http://gw.example:9091\n';

function keyPair(): { privateKey: KeyObject; trusted: TrustedKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, trusted: { id: keyIdOf(publicKey), pem: publicKey.export({ format: 'pem', type: 'spki' }).toString() } };
}

function refusedFor(text: string, keys: TrustedKey[], reason: RefusalReason, message: RegExp): void {
  assert.throws(
    () => verifyLayer(text, keys),
    (err: unknown) => err instanceof LayerRefusal && err.reason === reason && message.test(err.message),
    `${reason}: ${text.slice(0, 120)}`,
  );
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edgepush-sig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a signed layer verifies against its key and carries its version; the rest is the layer as written', () => {
  const a = keyPair();
  const signed = signLayer(LAYER, a.privateKey, 7);
  const [signature, version, ...rest] = signed.split('\n');
  assert.match(signature!, new RegExp(`^#edgepush-signature ed25519 ${a.trusted.id} [A-Za-z0-9+/]{86}==$`));
  assert.equal(version, '#edgepush-version 7');
  assert.equal(rest.join('\n'), LAYER);
  assert.equal(verifyLayer(signed, [a.trusted]), 7);
  assert.equal(layerVersion(signed), 7);
  assert.equal(stripEnvelope(signed), LAYER);
  assert.equal(verifyLayer(signLayer(signed, a.privateKey, 8), [a.trusted]), 8, 're-signing replaces the envelope');
});

test('unsigned, tampered, wrong-key and malformed layers are refused, each with its reason', () => {
  const a = keyPair();
  const b = keyPair();
  const signed = signLayer(LAYER, a.privateKey, 7);
  refusedFor(LAYER, [a.trusted], 'unsigned', /not signed/);
  refusedFor('#edgepush-version 7\n' + LAYER, [a.trusted], 'unsigned', /not signed/);
  const at = signed.indexOf('gw.example');
  refusedFor(signed.slice(0, at) + 'gx' + signed.slice(at + 2), [a.trusted], 'bad_signature', /changed after signing/);
  refusedFor(signed.replace('#edgepush-version 7', '#edgepush-version 9'), [a.trusted], 'bad_signature', /changed after signing/);
  refusedFor(signed + '[self]\nenabled = false\n', [a.trusted], 'bad_signature', /changed after signing/);
  refusedFor(signed, [b.trusted], 'unknown_key', new RegExp(`signed by key ${a.trusted.id}, which is not among the trusted keys \\(${b.trusted.id}\\)`));
  // A key that claims another's id is caught by the signature itself.
  refusedFor(signLayer(LAYER, b.privateKey, 7).replace(b.trusted.id, a.trusted.id), [a.trusted], 'bad_signature', /changed after signing/);
  refusedFor(signed.replace('ed25519', 'rsa'), [a.trusted], 'malformed', /only ed25519/);
  refusedFor('#edgepush-signature ed25519 abc\n' + LAYER, [a.trusted], 'malformed', /must be "#edgepush-signature ed25519/);
  refusedFor('#edgepush-version seven\n' + LAYER, [a.trusted], 'malformed', /non-negative integer/);
});

test('key rotation: a layer verifies against any trusted key, and no longer once its key is removed', () => {
  const old = keyPair();
  const next = keyPair();
  const byOld = signLayer(LAYER, old.privateKey, 3);
  const byNext = signLayer(LAYER, next.privateKey, 4);
  assert.equal(verifyLayer(byOld, [old.trusted, next.trusted]), 3);
  assert.equal(verifyLayer(byNext, [old.trusted, next.trusted]), 4);
  refusedFor(byOld, [next.trusted], 'unknown_key', /not among the trusted keys/);
});

test('trusted key files: every PEM public key of the file, ed25519 only, errors saying what is wrong', (t) => {
  const dir = tempDir(t);
  const a = keyPair();
  const b = keyPair();
  const file = path.join(dir, 'trusted.pem');
  writeFileSync(file, `# fleet signing keys\n${a.trusted.pem}\n# the next one\n${b.trusted.pem}`);
  assert.deepEqual(
    readTrustedKeys(file).map((k) => k.id),
    [a.trusted.id, b.trusted.id],
  );
  writeFileSync(file, 'nothing here\n');
  assert.throws(() => readTrustedKeys(file), /the file holds no PEM public key/);
  writeFileSync(file, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString());
  assert.throws(() => readTrustedKeys(file), /key 1 of the file is ec, not ed25519/);
  assert.throws(() => readTrustedKeys(path.join(dir, 'missing.pem')), /cannot read the file: ENOENT/);
});

test('keygen writes a private key only its owner reads and never overwrites one', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'signing.pem');
  const { publicKey, id } = generateSigningKey(file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  writeFileSync(path.join(dir, 'trusted.pem'), publicKey);
  assert.deepEqual(
    readTrustedKeys(path.join(dir, 'trusted.pem')).map((k) => k.id),
    [id],
  );
  const before = readFileSync(file, 'utf8');
  assert.throws(() => generateSigningKey(file), /EEXIST/);
  assert.equal(readFileSync(file, 'utf8'), before);
});

test('the documented openssl lines sign and name keys the same way', (t) => {
  let opensslOk = true;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    opensslOk = false;
  }
  if (!opensslOk) return t.skip('no openssl');
  const dir = tempDir(t);
  const keyFile = path.join(dir, 'signing.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', keyFile]);
  const trusted = readTrustedKeys(writeThen(path.join(dir, 'trusted.pem'), execFileSync('openssl', ['pkey', '-in', keyFile, '-pubout'])))[0]!;
  const body = path.join(dir, 'body.ini');
  writeFileSync(body, `#edgepush-version 12\n${LAYER}`);
  const signature = execFileSync('openssl', ['pkeyutl', '-sign', '-rawin', '-inkey', keyFile, '-in', body]).toString('base64');
  const id = execFileSync('sh', ['-c', `openssl pkey -in ${keyFile} -pubout -outform DER | tail -c 32 | sha256sum | cut -c1-16`])
    .toString()
    .trim();
  assert.equal(id, trusted.id);
  assert.equal(verifyLayer(`#edgepush-signature ed25519 ${id} ${signature}\n${readFileSync(body, 'utf8')}`, [trusted]), 12);
});

function writeThen(file: string, content: Buffer): string {
  writeFileSync(file, content);
  return file;
}

test('edgepush config keygen and config sign: the operator workflow by the CLI', async (t) => {
  const dir = tempDir(t);
  const keyFile = path.join(dir, 'signing.pem');
  const keygen = await runCli(['config', 'keygen', `--key=${keyFile}`]);
  assert.equal(keygen.code, 0, keygen.stderr);
  const trustedFile = writeThen(path.join(dir, 'trusted.pem'), Buffer.from(keygen.stdout));
  const [trusted] = readTrustedKeys(trustedFile);
  assert.match(keygen.stderr, new RegExp(`key id ${trusted!.id}`));
  const layerFile = writeThen(path.join(dir, 'layer.ini'), Buffer.from(LAYER));
  const signed = await runCli(['config', 'sign', `--key=${keyFile}`, '--version=42', layerFile]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.equal(verifyLayer(signed.stdout, [trusted!]), 42);
  assert.equal(stripEnvelope(signed.stdout), LAYER);
  const noVersion = await runCli(['config', 'sign', `--key=${keyFile}`, layerFile]);
  assert.equal(noVersion.code, 2);
  assert.match(noVersion.stderr, /--version is required/);
  const again = await runCli(['config', 'keygen', `--key=${keyFile}`]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /cannot write .*signing\.pem: EEXIST/);
});

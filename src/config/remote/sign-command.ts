/**
 * `edgepush config keygen | sign`: the operator's side of signed remote
 * layers (layer-signature.ts): make a key pair, sign a layer with a version.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateSigningKey, signLayer } from './layer-signature.ts';

/** `positional`: the action and its layer file; the exit code. Output goes to `writeStdout`, messages to stderr. */
export async function configCommand(
  positional: readonly string[],
  keyFile: string,
  version: number | undefined,
  writeStdout: (text: string) => Promise<void>,
): Promise<number> {
  const [action, layerFile, ...rest] = positional;
  const fail = (message: string): number => (process.stderr.write(`edgepush config ${action ?? ''}: ${message}\n`), 2);
  if (!keyFile) return fail('--key is required');
  if (action === 'keygen' && layerFile === undefined) {
    let generated;
    try {
      generated = generateSigningKey(keyFile);
    } catch (err) {
      return fail(`cannot write ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const { publicKey, id } = generated;
    process.stderr.write(
      `edgepush config keygen: private key in ${keyFile}, key id ${id}; the public key (for [remote_config] trusted_keys) follows on stdout\n`,
    );
    await writeStdout(publicKey);
    return 0;
  }
  if (action !== 'sign' || layerFile === undefined || rest.length > 0)
    return fail('usage: edgepush config keygen --key FILE | edgepush config sign --key FILE --version N LAYER.ini');
  if (version === undefined) return fail('--version is required');
  try {
    await writeStdout(signLayer(readFileSync(layerFile, 'utf8'), createPrivateKey(readFileSync(keyFile)), version));
  } catch (err) {
    return fail((err as Error).message);
  }
  return 0;
}

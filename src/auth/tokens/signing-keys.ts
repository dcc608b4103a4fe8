import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Config } from '../../config/config';
import { keysDir, readOrCreateSecretFile } from './key-files';

export const SIGNING_ALGORITHM = 'ES256';

/** A public key as published in the JWKS (RFC 7517), with the fields verifiers need. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: typeof SIGNING_ALGORITHM;
  use: 'sig';
}

export interface VerificationKey {
  readonly kid: string;
  readonly publicKey: KeyObject;
  readonly jwk: PublicJwk;
}

export interface SigningKeys {
  /** The key new access tokens are signed with. */
  readonly current: VerificationKey & { readonly privateKey: KeyObject };
  /** Current first, then the previous public keys still trusted after a rotation. */
  readonly verification: readonly VerificationKey[];
  /** Where the key came from, for the start-up log (never the key itself). */
  readonly source: 'configured' | 'development-file';
  find(kid: string): VerificationKey | undefined;
  /** The JWKS document served at /.well-known/jwks.json. */
  jwks(): { keys: PublicJwk[] };
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

/** RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order. */
export function jwkThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

function assertP256(key: KeyObject, variable: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError(variable, `${variable}: expected an ES256 key (EC on curve P-256 / prime256v1), e.g. from \`openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt\``);
  }
}

function verificationKey(publicKey: KeyObject): VerificationKey {
  const kid = jwkThumbprint(publicKey);
  const { x, y } = publicKey.export({ format: 'jwk' });
  return { kid, publicKey, jwk: { kty: 'EC', crv: 'P-256', x: x!, y: y!, kid, alg: SIGNING_ALGORITHM, use: 'sig' } };
}

/** Builds the key set from PEM text: one private key, and any number of previous public keys. */
export function signingKeysFromPem(
  privatePem: string,
  previousPublicPem = '',
  source: SigningKeys['source'] = 'configured',
): SigningKeys {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privatePem);
  } catch {
    throw new ConfigError('JWT_PRIVATE_KEY', 'JWT_PRIVATE_KEY: not a readable PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN EC PRIVATE KEY-----")');
  }
  assertP256(privateKey, 'JWT_PRIVATE_KEY');
  const current = { ...verificationKey(createPublicKey(privateKey)), privateKey };

  const blocks = previousPublicPem.match(PEM_BLOCK) ?? [];
  if (previousPublicPem.trim() && blocks.length === 0) {
    throw new ConfigError('JWT_PREVIOUS_PUBLIC_KEYS', 'JWT_PREVIOUS_PUBLIC_KEYS: expected one or more PEM public keys ("-----BEGIN PUBLIC KEY-----")');
  }
  const previous: VerificationKey[] = [];
  for (const block of blocks) {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(block);
    } catch {
      throw new ConfigError('JWT_PREVIOUS_PUBLIC_KEYS', 'JWT_PREVIOUS_PUBLIC_KEYS: a PEM block is not a readable public key');
    }
    assertP256(publicKey, 'JWT_PREVIOUS_PUBLIC_KEYS');
    const key = verificationKey(publicKey);
    if (key.kid !== current.kid && !previous.some((p) => p.kid === key.kid)) previous.push(key);
  }

  const verification = [current, ...previous];
  const byKid = new Map(verification.map((k) => [k.kid, k]));
  return {
    current,
    verification,
    source,
    find: (kid) => byKid.get(kid),
    jwks: () => ({ keys: verification.map((k) => ({ ...k.jwk })) }),
  };
}

/** A fresh P-256 private key in PKCS#8 PEM. */
export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * Loads the signing keys the configuration names. With no key configured (development and tests
 * only: config.ts refuses production without one) a key is generated once and kept in
 * `${DATA_DIR}/keys/jwt-signing-key.pem`, so restarts do not invalidate issued tokens.
 */
export async function loadSigningKeys(auth: Config['auth'], dataDir: string, { generate = true } = {}): Promise<SigningKeys> {
  // Each source is read on its own terms: a file as it is, a variable with its `\n` escapes
  // undone, whichever the other one is.
  const previous = auth.previousPublicKeysFile
    ? await readConfiguredFile(auth.previousPublicKeysFile, 'JWT_PREVIOUS_PUBLIC_KEYS_FILE')
    : unescapeNewlines(auth.previousPublicKeys ?? '');
  if (auth.privateKey) return signingKeysFromPem(unescapeNewlines(auth.privateKey), previous);
  if (auth.privateKeyFile) {
    return signingKeysFromPem(await readConfiguredFile(auth.privateKeyFile, 'JWT_PRIVATE_KEY_FILE'), previous);
  }
  if (!generate) {
    throw new ConfigError(
      'JWT_PRIVATE_KEY',
      'JWT_PRIVATE_KEY: required when DATABASE_URL is set (every instance must sign with the same key; an ES256 PEM, or JWT_PRIVATE_KEY_FILE with its path); a key is generated only for the embedded development database',
    );
  }
  const file = path.join(keysDir(dataDir), 'jwt-signing-key.pem');
  const { value } = await readOrCreateSecretFile(file, generateSigningKeyPem);
  return signingKeysFromPem(value, previous, 'development-file');
}

/** Environments often cannot hold multi-line values; `\n` escapes in a PEM are accepted. */
function unescapeNewlines(pem: string): string {
  return pem.includes('\\n') ? pem.replace(/\\n/g, '\n') : pem;
}

async function readConfiguredFile(file: string, variable: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(variable, `${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

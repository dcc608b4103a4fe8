import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';

/**
 * Sign in with Apple as a web redirect provider (issue 25 §5): Apple's token endpoint takes no
 * static client secret but an ES256 JWT the client signs with the private key made in its Apple
 * developer account (team id, key id, the .p8 file). Checked here at start-up so a wrong file
 * fails the start, not every sign-in. Apple's issuer without these keys is refused: its token
 * endpoint would answer every sign-in with invalid_client.
 */
export interface AppleClientSecretSettings {
  readonly teamId: string;
  readonly keyId: string;
  /** The P-256 private key (PKCS#8 PEM, Apple's AuthKey_<key id>.p8), read once at start-up. */
  readonly privateKeyPem: string;
}

export const APPLE_ISSUER = 'https://appleid.apple.com';

const KEYS = ['apple_team_id', 'apple_key_id', 'apple_private_key_file'] as const;

const fail = (message: string) => new ConfigError('WEB_SIGN_IN_PROVIDERS', `WEB_SIGN_IN_PROVIDERS: ${message}`);

/** The provider's Apple client-secret keys, or undefined when it has none (any other provider). */
export function parseAppleClientSecret(name: string, issuer: string, entry: Record<string, unknown>): AppleClientSecretSettings | undefined {
  const given = KEYS.filter((key) => entry[key] !== undefined);
  if (given.length === 0) {
    if (issuer === APPLE_ISSUER) throw fail(`provider "${name}" is Sign in with Apple: set apple_team_id, apple_key_id and apple_private_key_file (Apple takes no static client_secret)`);
    return undefined;
  }
  for (const key of KEYS) {
    if (typeof entry[key] !== 'string' || entry[key] === '') throw fail(`provider "${name}": ${key} must be a non-empty string (Apple's client secret needs apple_team_id, apple_key_id and apple_private_key_file together)`);
  }
  if (entry.client_secret !== undefined) throw fail(`provider "${name}": remove client_secret; with apple_private_key_file the client secret is a JWT signed for each sign-in`);
  const file = entry.apple_private_key_file as string;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw fail(`provider "${name}": apple_private_key_file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); point it at the AuthKey_<key id>.p8 file from Apple`);
  }
  let details: { type?: string; curve?: string };
  try {
    const key = createPrivateKey(pem);
    details = { type: key.asymmetricKeyType, curve: key.asymmetricKeyDetails?.namedCurve };
  } catch {
    throw fail(`provider "${name}": apple_private_key_file ${file} is not a PEM private key (expected Apple's AuthKey_<key id>.p8)`);
  }
  if (details.type !== 'ec' || details.curve !== 'prime256v1') {
    throw fail(`provider "${name}": apple_private_key_file ${file} is a ${details.type ?? 'unknown'}${details.curve ? ` ${details.curve}` : ''} key; Apple's client secret is ES256 and needs a P-256 key (Apple's AuthKey_<key id>.p8)`);
  }
  return { teamId: entry.apple_team_id as string, keyId: entry.apple_key_id as string, privateKeyPem: pem };
}

import type { Config } from '../config/config';
import { loadSigningKeys, type SigningKeys } from './signing-keys';
import { loadTokenSecret } from './token-secret';

/** The key material the auth service needs at run time, loaded once at start. */
export interface AuthKeys {
  readonly signingKeys: SigningKeys;
  readonly tokenSecret: Buffer;
}

export async function loadAuthKeys(config: Config): Promise<AuthKeys> {
  const [signingKeys, tokenSecret] = await Promise.all([
    loadSigningKeys(config.auth, config.embedded.dataDir),
    loadTokenSecret(config.auth, config.embedded.dataDir),
  ]);
  return { signingKeys, tokenSecret };
}

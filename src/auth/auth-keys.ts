import type { Config } from '../config/config';
import { loadSigningKeys, type SigningKeys } from './signing-keys';
import { loadTokenSecrets } from './token-secret';

/** The key material the auth service needs at run time, loaded once at start. */
export interface AuthKeys {
  readonly signingKeys: SigningKeys;
  /** TOKEN_SECRET: signs and derives the refresh tokens issued now. */
  readonly tokenSecret: Buffer;
  /** TOKEN_PREVIOUS_SECRETS: refresh tokens made with these are still accepted. */
  readonly previousTokenSecrets: readonly Buffer[];
}

export async function loadAuthKeys(config: Config): Promise<AuthKeys> {
  const [signingKeys, secrets] = await Promise.all([
    loadSigningKeys(config.auth, config.embedded.dataDir),
    loadTokenSecrets(config.auth, config.embedded.dataDir),
  ]);
  return { signingKeys, tokenSecret: secrets.current, previousTokenSecrets: secrets.previous };
}

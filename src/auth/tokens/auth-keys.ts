import type { Config } from '../../config/config';
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

/**
 * Loads the signing keys and the token secret. Missing ones are generated (into DATA_DIR/keys)
 * only for the embedded development database: with a configured DATABASE_URL several instances
 * may share the database, and each generating its own key and secret would make their tokens
 * disagree, so a missing one is a ConfigError naming the variable.
 */
export async function loadAuthKeys(config: Config): Promise<AuthKeys> {
  const generate = config.db.url === undefined;
  const [signingKeys, secrets] = await Promise.all([
    loadSigningKeys(config.auth, config.embedded.dataDir, { generate }),
    loadTokenSecrets(config.auth, config.embedded.dataDir, { generate }),
  ]);
  return { signingKeys, tokenSecret: secrets.current, previousTokenSecrets: secrets.previous };
}

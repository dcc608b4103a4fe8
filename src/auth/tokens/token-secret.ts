import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigError, type Config } from '../../config/config';
import { keysDir, readOrCreateSecretFile } from './key-files';

/**
 * The server secrets of refresh tokens (see refresh-tokens.ts): `current` signs and derives every
 * token issued now; `previous` (TOKEN_NEXT_SECRET, then TOKEN_PREVIOUS_SECRETS) are only checked, so
 * that tokens made before a rotation of TOKEN_SECRET keep working until their next refresh replaces
 * them, and tokens made by instances already past the rotation work on those not yet past it.
 */
export interface TokenSecrets {
  readonly current: Buffer;
  readonly previous: readonly Buffer[];
}

/**
 * TOKEN_SECRET when configured; otherwise, for the embedded development database only, one is
 * generated once and kept in `${DATA_DIR}/keys/token-secret`, so a restart keeps the tokens
 * already issued working.
 */
export async function loadTokenSecrets(
  auth: Pick<Config['auth'], 'tokenSecret' | 'previousTokenSecrets' | 'nextTokenSecret'>,
  dataDir: string,
  { generate = true } = {},
): Promise<TokenSecrets> {
  // TOKEN_NEXT_SECRET (phase one of a rotation, issue 21) is accepted like a previous secret and
  // never used to make anything, so the instances on it accept what the next release makes.
  const previous = [...(auth.nextTokenSecret ? [auth.nextTokenSecret] : []), ...auth.previousTokenSecrets].map((s) => Buffer.from(s, 'utf8'));
  if (auth.tokenSecret) return { current: Buffer.from(auth.tokenSecret, 'utf8'), previous };
  if (!generate) {
    throw new ConfigError(
      'TOKEN_SECRET',
      'TOKEN_SECRET: required when DATABASE_URL is set (every instance on the database needs the same one; at least 32 random characters, e.g. `openssl rand -base64 48`); one is generated only for the embedded development database',
    );
  }
  const file = path.join(keysDir(dataDir), 'token-secret');
  const { value } = await readOrCreateSecretFile(file, () => randomBytes(48).toString('base64url'));
  return { current: Buffer.from(value.trim(), 'utf8'), previous };
}

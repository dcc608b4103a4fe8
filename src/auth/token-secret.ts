import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigError, type Config } from '../config/config';
import { keysDir, readOrCreateSecretFile } from './key-files';

/**
 * The server secret that derives a refresh token's child from the token itself (see
 * refresh-tokens.ts). TOKEN_SECRET in production (config.ts requires it); otherwise one is
 * generated once and kept in `${DATA_DIR}/keys/token-secret`, so a restart keeps the reuse
 * interval working for tokens already issued.
 */
export async function loadTokenSecret(auth: Config['auth'], dataDir: string, { generate = true } = {}): Promise<Buffer> {
  if (auth.tokenSecret) return Buffer.from(auth.tokenSecret, 'utf8');
  if (!generate) {
    throw new ConfigError(
      'TOKEN_SECRET',
      'TOKEN_SECRET: required when DATABASE_URL is set (every instance on the database needs the same one; at least 32 random characters, e.g. `openssl rand -base64 48`); one is generated only for the embedded development database',
    );
  }
  const file = path.join(keysDir(dataDir), 'token-secret');
  const { value } = await readOrCreateSecretFile(file, () => randomBytes(48).toString('base64url'));
  return Buffer.from(value.trim(), 'utf8');
}

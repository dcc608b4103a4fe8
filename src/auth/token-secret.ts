import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/config';
import { keysDir, readOrCreateSecretFile } from './key-files';

/**
 * The server secrets of refresh tokens (see refresh-tokens.ts): `current` signs and derives every
 * token issued now; `previous` (TOKEN_PREVIOUS_SECRETS) are only checked, so that tokens made
 * before a rotation of TOKEN_SECRET keep working until their next refresh replaces them.
 */
export interface TokenSecrets {
  readonly current: Buffer;
  readonly previous: readonly Buffer[];
}

/**
 * TOKEN_SECRET in production (config.ts requires it); otherwise one is generated once and kept in
 * `${DATA_DIR}/keys/token-secret`, so a restart keeps the tokens already issued working.
 */
export async function loadTokenSecrets(auth: Config['auth'], dataDir: string): Promise<TokenSecrets> {
  const previous = auth.previousTokenSecrets.map((s) => Buffer.from(s, 'utf8'));
  if (auth.tokenSecret) return { current: Buffer.from(auth.tokenSecret, 'utf8'), previous };
  const file = path.join(keysDir(dataDir), 'token-secret');
  const { value } = await readOrCreateSecretFile(file, () => randomBytes(48).toString('base64url'));
  return { current: Buffer.from(value.trim(), 'utf8'), previous };
}

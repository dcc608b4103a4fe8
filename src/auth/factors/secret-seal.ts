import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { TokenSecrets } from '../tokens/token-secret';

/**
 * Sealing of the TOTP secrets (the server must read them back to check a code, so they cannot be
 * hashed): AES-256-GCM under a key derived from TOKEN_SECRET, bound to the factor's row id as
 * associated data so a sealed secret copied to another row does not open. A secret sealed under
 * a previous TOKEN_SECRET still opens while that secret is accepted; `open` says so, and the
 * caller seals it again under the current one (totp.ts), so a rotation carries every used factor
 * over. Layout: iv (12) | tag (16) | ciphertext.
 */
function sealKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'cathouse/totp-secret/v1', 32));
}

export function sealSecret(secrets: TokenSecrets, rowId: string, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secrets.current), iv);
  cipher.setAAD(Buffer.from(rowId, 'utf8'));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The plain secret, and whether it was sealed under the current TOKEN_SECRET; undefined when no accepted secret opens it. */
export function openSecret(secrets: TokenSecrets, rowId: string, sealed: Buffer): { plain: Buffer; current: boolean } | undefined {
  for (const [i, secret] of [secrets.current, ...secrets.previous].entries()) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), sealed.subarray(0, 12));
      decipher.setAAD(Buffer.from(rowId, 'utf8'));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return { plain: Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]), current: i === 0 };
    } catch {
      // Not this key: try the next accepted secret.
    }
  }
  return undefined;
}

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Sealing of the secrets a subscription holds (issue 29): a webhook's signing secrets and a
 * stream's authorization header must be usable to sign and send, so they cannot be hashed; they
 * are stored AES-256-GCM-sealed under a key derived from TOKEN_SECRET, so a copy of the database
 * alone (a backup, a read replica) does not let anyone forge our webhooks.
 */

export interface SealingKeys {
  /** Seals new values: derived from TOKEN_SECRET. */
  readonly current: Buffer;
  /** Opens values sealed before a rotation: TOKEN_NEXT_SECRET's and TOKEN_PREVIOUS_SECRETS' keys. */
  readonly accepted: readonly Buffer[];
}

function derive(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'cathouse/event-subscription-secrets/v1', 32));
}

/** The sealing keys of TOKEN_SECRET and the secrets still accepted. */
export function sealingKeys(tokenSecret: Buffer, previous: readonly Buffer[]): SealingKeys {
  return { current: derive(tokenSecret), accepted: previous.map(derive) };
}

/** AES-256-GCM: iv (12) | tag (16) | ciphertext. */
export function seal(keys: SealingKeys, value: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.current, iv);
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Opens a sealed value with whichever accepted key sealed it; throws an error naming the variable to fix when none does. */
export function unseal(keys: SealingKeys, sealed: Buffer): string {
  for (const key of [keys.current, ...keys.accepted]) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      // Not this key: try the next.
    }
  }
  throw new Error('a subscription secret was sealed with a TOKEN_SECRET this instance does not accept: add that secret to TOKEN_PREVIOUS_SECRETS');
}

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

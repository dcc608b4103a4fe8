import { createHash, createHmac, randomBytes } from 'node:crypto';

/** 32 random bytes: 256 bits, above RFC 9700's and OWASP's floor for bearer secrets. */
const REFRESH_TOKEN_BYTES = 32;
/** base64url of 32 bytes, without padding. */
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function generateRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
}

/** True when `value` could be one of our refresh tokens; anything else is refused without a query. */
export function looksLikeRefreshToken(value: string): boolean {
  return REFRESH_TOKEN_SHAPE.test(value);
}

/** Only this digest is stored (refresh_tokens.token_hash): a database leak yields no usable token. */
export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The token that replaces `parent` on rotation. It is derived, not random, so that the parent
 * presented again within the reuse interval (several tabs refreshing at once) can be answered
 * with the very same child while the database holds nothing but hashes. Without the server
 * secret nobody can compute a child from a stolen parent.
 */
export function deriveChildRefreshToken(secret: Buffer, parent: string): string {
  return createHmac('sha256', secret).update(`refresh-child:${parent}`, 'utf8').digest('base64url');
}

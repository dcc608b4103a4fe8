import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenSecrets } from '../tokens/token-secret';

/**
 * Refresh tokens (issue 15 format): `<session>.<generation>.<secret>.<tag>`, e.g.
 * `3q2-7wAAQR2xH5c1lS2Z0A.4.kq...43 chars....QxZ1...22 chars...`
 *
 * - `session`: the session's uuid as 16 bytes, base64url (22 characters), so that a refresh finds
 *   its row by primary key;
 * - `generation`: how many rotations the session had when this token was issued (0 at login);
 * - `secret`: 32 bytes, base64url. Random at login; after that derived from the parent token
 *   (HMAC-SHA-256 with TOKEN_SECRET), so that the parent presented again within the reuse
 *   interval gets the very same child back while the database holds nothing but a hash;
 * - `tag`: HMAC-SHA-256(TOKEN_SECRET, the rest), first 16 bytes: only the server makes tokens.
 *   A forged or mistyped token is refused without a query, and a token that names an older
 *   generation of a session is known to be one the server issued, i.e. genuine reuse.
 *
 * The database keeps, per session, the generation and the SHA-256 of the current token only
 * (sessions.refresh_generation, sessions.refresh_token_hash): a dump yields no usable token, and
 * without TOKEN_SECRET nobody can make a tag or derive a child.
 *
 * Tokens of the previous format (43 base64url characters, one row each in refresh_tokens) are
 * still accepted once: their refresh rotates them into this format (rotation.ts).
 */

/** 32 random bytes: 256 bits, above RFC 9700's and OWASP's floor for bearer secrets. */
const SECRET_BYTES = 32;
const TAG_BYTES = 16;
const TOKEN_SHAPE = /^([A-Za-z0-9_-]{22})\.(0|[1-9][0-9]{0,8})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;
/** The previous format: base64url of 32 random bytes, without padding. */
const LEGACY_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A refresh token of the current format whose tag one of the server's secrets made. */
export interface ParsedRefreshToken {
  readonly sessionId: string;
  readonly generation: number;
}

/** Only this digest is stored: a database leak yields no usable token. */
export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function encodeSessionId(sessionId: string): string {
  return Buffer.from(sessionId.replace(/-/g, ''), 'hex').toString('base64url');
}

function decodeSessionId(encoded: string): string | undefined {
  const hex = Buffer.from(encoded, 'base64url').toString('hex');
  if (hex.length !== 32 || Buffer.from(hex, 'hex').toString('base64url') !== encoded) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function tagOf(secret: Buffer, body: string): Buffer {
  return createHmac('sha256', secret).update(`refresh-token-tag:${body}`, 'utf8').digest().subarray(0, TAG_BYTES);
}

function assemble(secret: Buffer, sessionId: string, generation: number, secretPart: string): string {
  const body = `${encodeSessionId(sessionId)}.${generation}.${secretPart}`;
  return `${body}.${tagOf(secret, body).toString('base64url')}`;
}

/** The first refresh token of a session (generation 0): random, signed with the current secret. */
export function firstRefreshToken(secrets: TokenSecrets, sessionId: string): string {
  return assemble(secrets.current, sessionId, 0, randomBytes(SECRET_BYTES).toString('base64url'));
}

/**
 * The token that replaces `parent` (a token of generation `parentGeneration` of the session) on
 * rotation, made with `secret`. It is derived, not random, so that a repeat of the parent within
 * the reuse interval can be answered with the same child; without the secret nobody can compute
 * it from a stolen parent. `parent` may also be a token of the previous format (generation 0).
 */
export function childRefreshToken(secret: Buffer, sessionId: string, parentGeneration: number, parent: string): string {
  const secretPart = createHmac('sha256', secret).update(`refresh-child-v2:${parent}`, 'utf8').digest('base64url');
  return assemble(secret, sessionId, parentGeneration + 1, secretPart);
}

/** Every secret a token may have been made with: the current one first. */
export function allSecrets(secrets: TokenSecrets): readonly Buffer[] {
  return [secrets.current, ...secrets.previous];
}

/**
 * The session and generation a refresh token names, if its tag was made with one of `secrets`;
 * undefined for anything else (malformed, forged, or made with a secret no longer accepted).
 */
export function parseRefreshToken(secrets: TokenSecrets, token: string): ParsedRefreshToken | undefined {
  const match = TOKEN_SHAPE.exec(token);
  if (!match) return undefined;
  const [, session, generation, , tag] = match;
  const sessionId = decodeSessionId(session!);
  const presentedTag = Buffer.from(tag!, 'base64url');
  if (!sessionId || presentedTag.length !== TAG_BYTES) return undefined;
  const body = token.slice(0, token.lastIndexOf('.'));
  const genuine = allSecrets(secrets).some((secret) => timingSafeEqual(tagOf(secret, body), presentedTag));
  return genuine ? { sessionId, generation: Number(generation) } : undefined;
}

/** True when `value` has the shape of a refresh token of the previous format (issued before issue 15). */
export function looksLikeLegacyRefreshToken(value: string): boolean {
  return LEGACY_TOKEN_SHAPE.test(value);
}

/** The previous format's child of a previous-format token (only to answer a repeat within the reuse interval). */
export function legacyChildRefreshToken(secret: Buffer, parent: string): string {
  return createHmac('sha256', secret).update(`refresh-child:${parent}`, 'utf8').digest('base64url');
}

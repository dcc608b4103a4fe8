import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { sql } from '../sql';
import { allSecrets } from '../sessions/refresh-tokens';
import type { TokenSecrets } from '../tokens/token-secret';

/**
 * WebAuthn challenges (WebAuthn L2 §13.4.3: random, at least 16 bytes, used once). Asking for
 * options writes nothing: the challenge is 16 random bytes and an expiry, tagged with an HMAC of
 * TOKEN_SECRET over them, the ceremony's purpose and its subject (the user for registration, the
 * MFA challenge, the session for step-up; nobody for a sign-in without an email). A response is
 * accepted only with a challenge this server made, for that purpose and subject, unexpired, and
 * spent for the first time: `spendChallenge` records its hash, so a replayed response is refused.
 */
export type ChallengePurpose = 'register' | 'sign_in' | 'second_factor' | 'step_up';

const RANDOM_BYTES = 16;
const TAG_BYTES = 16;
/** How long a ceremony may take: the browser's own timeout is given the same (options.timeout). */
export const CHALLENGE_TTL_SECONDS = 300;

function tag(secret: Buffer, purpose: ChallengePurpose, subject: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(`webauthn-challenge:${purpose}:${subject}:`).update(body).digest().subarray(0, TAG_BYTES);
}

/** A new challenge (base64url) for `purpose` and `subject`. */
export function makeChallenge(secrets: TokenSecrets, purpose: ChallengePurpose, subject: string, nowMs = Date.now()): string {
  const body = Buffer.alloc(RANDOM_BYTES + 4);
  randomBytes(RANDOM_BYTES).copy(body);
  body.writeUInt32BE(Math.floor(nowMs / 1000) + CHALLENGE_TTL_SECONDS, RANDOM_BYTES);
  return Buffer.concat([body, tag(secrets.current, purpose, subject, body)]).toString('base64url');
}

/** When `challenge` expires, if this server made it for `purpose` and `subject` and it has not expired; otherwise undefined. */
export function checkChallenge(secrets: TokenSecrets, challenge: string, purpose: ChallengePurpose, subject: string, nowMs = Date.now()): Date | undefined {
  const raw = Buffer.from(challenge, 'base64url');
  if (raw.length !== RANDOM_BYTES + 4 + TAG_BYTES || raw.toString('base64url') !== challenge) return undefined;
  const body = raw.subarray(0, RANDOM_BYTES + 4);
  const presented = raw.subarray(RANDOM_BYTES + 4);
  if (!allSecrets(secrets).some((secret) => timingSafeEqual(tag(secret, purpose, subject, body), presented))) return undefined;
  const expiresAt = body.readUInt32BE(RANDOM_BYTES) * 1000;
  return expiresAt > nowMs ? new Date(expiresAt) : undefined;
}

/** How auth.webauthn_challenges keys an answered challenge. */
const challengeHash = (challenge: string) => createHash('sha256').update(challenge, 'utf8').digest();

/** Records `challenge` as answered; false when it already was (a replay). Commits with the caller's transaction when given one. */
export async function spendChallenge(executor: DataSource | EntityManager, challenge: string, expiresAt: Date): Promise<boolean> {
  const { rows } = await sql(
    executor,
    `INSERT INTO auth.webauthn_challenges (challenge_hash, expires_at) VALUES ($1, $2) ON CONFLICT (challenge_hash) DO NOTHING RETURNING 1 AS spent`,
    [challengeHash(challenge), expiresAt],
  );
  return rows.length === 1;
}

/** Whether `challenge` was already answered (spendChallenge recorded it). */
export async function challengeSpent(executor: DataSource | EntityManager, challenge: string): Promise<boolean> {
  const { rows } = await sql(executor, `SELECT 1 AS spent FROM auth.webauthn_challenges WHERE challenge_hash = $1`, [challengeHash(challenge)]);
  return rows.length === 1;
}

/** The challenge's bytes, as SimpleWebAuthn's options take them (the browser signs their base64url: the challenge again). */
export function challengeBytes(challenge: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(challenge, 'base64url'));
}

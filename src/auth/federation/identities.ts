import type { EntityManager } from 'typeorm';
import { User } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { sql } from '../sql';
import type { ProviderIdentity } from './id-token-verifier';

/** A linked identity as GET me/identities shows it. */
export interface PublicIdentity {
  id: string;
  provider: string;
  email: string | null;
  is_private_email: boolean;
  created_at: string;
  last_sign_in_at: string;
}

interface IdentityRow {
  id: string;
  user_id: string;
  provider: string;
  email: string | null;
  is_private_email: boolean;
  created_at: Date;
  last_sign_in_at: Date;
}

export function publicIdentity(row: IdentityRow): PublicIdentity {
  return {
    id: row.id,
    provider: row.provider,
    email: row.email,
    is_private_email: row.is_private_email,
    created_at: row.created_at.toISOString(),
    last_sign_in_at: row.last_sign_in_at.toISOString(),
  };
}

const COLUMNS = 'id, user_id, provider, email, is_private_email, created_at, last_sign_in_at';

/**
 * The identity (provider, sub) and its user, both locked (FOR UPDATE): a sign-in, a link and an
 * unlink of one account are decided one at a time.
 */
export async function findIdentityForUpdate(manager: EntityManager, provider: string, subject: string): Promise<IdentityRow | undefined> {
  const { rows } = await sql<IdentityRow>(manager, `SELECT ${COLUMNS} FROM auth.identities WHERE provider = $1 AND subject = $2 FOR UPDATE`, [provider, subject]);
  return rows[0];
}

/** A sign-in refreshes what the provider says now (the address may have changed at the provider). */
export async function touchIdentity(manager: EntityManager, id: string, identity: ProviderIdentity): Promise<void> {
  await sql(manager, `UPDATE auth.identities SET email = $2, is_private_email = $3, last_sign_in_at = statement_timestamp() WHERE id = $1`, [
    id,
    identity.email,
    identity.isPrivateEmail,
  ]);
}

/** Links (provider, sub) to the user; the UNIQUE constraint decides a race between two links of one identity. */
export async function insertIdentity(manager: EntityManager, userId: string, identity: ProviderIdentity): Promise<PublicIdentity> {
  try {
    const { rows } = await sql<IdentityRow>(
      manager,
      `INSERT INTO auth.identities (user_id, provider, subject, email, is_private_email) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [userId, identity.provider, identity.subject, identity.email, identity.isPrivateEmail],
    );
    return publicIdentity(rows[0]!);
  } catch (err) {
    const driverError = (err as { driverError?: { code?: string }; code?: string }).driverError ?? (err as { code?: string });
    if (driverError.code === '23505') throw identityInUse();
    throw err;
  }
}

export function identityInUse(): AppError {
  return new AppError('identity_in_use', 'This provider account is already linked to another Cat House account.');
}

export async function listIdentities(manager: EntityManager, userId: string): Promise<PublicIdentity[]> {
  const { rows } = await sql<IdentityRow>(manager, `SELECT ${COLUMNS} FROM auth.identities WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
  return rows.map(publicIdentity);
}

/** The user row, locked: linking decisions read its password and verification under the lock. */
export async function lockUser(manager: EntityManager, where: { id: string } | { email: string }): Promise<User | undefined> {
  return (await manager.findOne(User, { where, lock: { mode: 'pessimistic_write' } })) ?? undefined;
}

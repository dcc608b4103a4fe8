import type { DataSource, EntityManager } from 'typeorm';
import type { UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { bumpSecurityStamp } from '../accounts/security-stamp';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { recordSecurityEvent } from '../events/record';
import { sql } from '../sql';
import { generatePat, hashPat, patDisplayPrefix } from './pat-format';
import { assertRecentSignIn } from './recent-sign-in';
import { assertScopesAllowed, parseScopes, type PatScope } from './scopes';

/**
 * Personal access tokens as their owner manages them: create (shown once), list, revoke one or all.
 * The exchange of a token for an access token is pat-exchange.ts. A token made or revoked is a
 * change of credential: it moves the security stamp (issue 22), so mailed links asked before it die.
 * A revocation also records `pat.revoked` per token (issue 29), last in its transaction.
 */

export interface PatSettings {
  maxTtlDays: number;
  maxPerUser: number;
  createMaxAuthAgeSeconds: number;
}

/** Who is asking: a verified user access token of a live session (AuthService.authenticate). */
export interface PatOwner {
  userId: string;
  sessionId: string;
  /** The role in the database now. */
  role: UserRole;
}

export interface NewPat {
  name: string;
  scopes: readonly string[];
  expiresAt: Date;
}

export type PatStatus = 'active' | 'expired' | 'revoked';

/** A token as its owner sees it in a listing: never the token, never its hash. */
export interface PatView {
  id: string;
  name: string;
  token_prefix: string;
  scopes: string[];
  status: PatStatus;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  last_used_ip: string | null;
  revoked_at: string | null;
}

export interface CreatedPat extends PatView {
  /** The token itself: in this answer only. */
  token: string;
}

const VIEW_COLUMNS = `id, name, token_prefix, scopes, created_at, expires_at, last_used_at, host(last_used_ip) AS last_used_ip, revoked_at,
  CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at <= statement_timestamp() THEN 'expired' ELSE 'active' END AS status`;

interface ViewRow {
  id: string;
  name: string;
  token_prefix: string;
  scopes: string[];
  status: PatStatus;
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  last_used_ip: string | null;
  revoked_at: Date | null;
}

function view(row: ViewRow): PatView {
  return {
    id: row.id,
    name: row.name,
    token_prefix: row.token_prefix,
    scopes: row.scopes,
    status: row.status,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    last_used_ip: row.last_used_ip,
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}

/**
 * Creates a token for the owner and returns it once. Needs a recent sign-in; its scopes must be
 * ones the owner's role holds; its expiry is required, in the future and within PAT_MAX_TTL_DAYS;
 * at most PAT_MAX_PER_USER live tokens (counted under a lock on the user's row, so concurrent
 * creations cannot pass the limit together).
 */
export async function createPat(dataSource: DataSource, owner: PatOwner, input: NewPat, settings: PatSettings, client: AuditClient): Promise<CreatedPat> {
  await assertRecentSignIn(dataSource, owner.sessionId, settings.createMaxAuthAgeSeconds);
  const scopes: PatScope[] = parseScopes(input.scopes);
  if (scopes.length === 0) throw new AppError('invalid_scope', 'Give the token at least one scope.');
  assertScopesAllowed(scopes, owner.role);
  const now = Date.now();
  const latest = now + settings.maxTtlDays * 86_400_000;
  if (!(input.expiresAt.getTime() > now + 60_000) || input.expiresAt.getTime() > latest) {
    throw new AppError('invalid_request', `expires_at must be between a minute and ${settings.maxTtlDays} days from now.`, {
      fields: { invalid_params: [{ name: 'expires_at', reason: `within ${settings.maxTtlDays} days` }] },
    });
  }
  const token = generatePat();
  const row = await dataSource.transaction(async (manager) => {
    // FOR NO KEY UPDATE: serialises creations per user without blocking sessions (their foreign key takes KEY SHARE).
    await sql(manager, `SELECT 1 FROM auth.users WHERE id = $1 FOR NO KEY UPDATE`, [owner.userId]);
    const { rows: counted } = await sql<{ live: number }>(
      manager,
      `SELECT count(*)::int AS live FROM auth.personal_access_tokens WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > statement_timestamp()`,
      [owner.userId],
    );
    if (counted[0]!.live >= settings.maxPerUser) {
      throw new AppError('forbidden', `You have ${settings.maxPerUser} live tokens, the most allowed: revoke one first.`);
    }
    const { rows } = await sql<ViewRow>(
      manager,
      `INSERT INTO auth.personal_access_tokens (user_id, name, token_hash, token_prefix, scopes, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${VIEW_COLUMNS}`,
      [owner.userId, input.name, hashPat(token), patDisplayPrefix(token), scopes, input.expiresAt],
    );
    const created = rows[0]!;
    await bumpSecurityStamp(manager, owner.userId);
    await recordEvent(manager, {
      type: 'pat_created',
      userId: owner.userId,
      sessionId: owner.sessionId,
      client,
      detail: { pat_id: created.id, name: input.name, scopes, expires_at: created.expires_at.toISOString() },
    });
    return created;
  });
  return { ...view(row), token };
}

/** The owner's tokens, newest first: live ones and the expired or revoked ones not yet pruned. */
export async function listPats(dataSource: DataSource, userId: string): Promise<PatView[]> {
  const { rows } = await sql<ViewRow>(
    dataSource,
    `SELECT ${VIEW_COLUMNS} FROM auth.personal_access_tokens WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT 500`,
    [userId],
  );
  return rows.map(view);
}

/**
 * Revokes one of the owner's tokens: the next exchange refuses it. Revoking a revoked token is not
 * an error (and records nothing); someone else's or an unknown id is not_found.
 */
export async function revokePat(dataSource: DataSource, owner: PatOwner, patId: string, client: AuditClient): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const { rows } = await sql<{ id: string; revoked: boolean }>(
      manager,
      `WITH target AS (SELECT id, revoked_at FROM auth.personal_access_tokens WHERE id = $1 AND user_id = $2 FOR UPDATE),
            revoked AS (UPDATE auth.personal_access_tokens p SET revoked_at = statement_timestamp(), revoked_reason = 'revoked_by_user'
                          FROM target WHERE p.id = target.id AND target.revoked_at IS NULL RETURNING p.id)
       SELECT target.id, EXISTS (SELECT 1 FROM revoked) AS revoked FROM target`,
      [patId, owner.userId],
    );
    if (!rows[0]) throw new AppError('not_found', 'You have no personal access token with this id.');
    if (rows[0].revoked) {
      await bumpSecurityStamp(manager, owner.userId);
      await recordEvent(manager, { type: 'pat_revoked', userId: owner.userId, sessionId: owner.sessionId, client, detail: { pat_id: patId } });
      await patRevokedEvents(manager, owner.userId, [patId]);
    }
  });
}

/** Revokes every live token of the owner; answers how many. */
export async function revokeAllPats(dataSource: DataSource, owner: PatOwner, client: AuditClient): Promise<number> {
  return dataSource.transaction(async (manager) => {
    const { rows } = await sql<{ id: string }>(
      manager,
      `UPDATE auth.personal_access_tokens SET revoked_at = statement_timestamp(), revoked_reason = 'revoked_all_by_user'
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > statement_timestamp() RETURNING id`,
      [owner.userId],
    );
    if (rows.length > 0) {
      await bumpSecurityStamp(manager, owner.userId);
      await recordEvent(manager, { type: 'pat_revoked', userId: owner.userId, sessionId: owner.sessionId, client, detail: { all: true, count: rows.length } });
      await patRevokedEvents(manager, owner.userId, rows.map((r) => r.id));
    }
    return rows.length;
  });
}

/** One `pat.revoked` per token the owner revoked; after the change's other writes (the subject's lock comes last). */
async function patRevokedEvents(manager: EntityManager, userId: string, tokenIds: readonly string[]): Promise<void> {
  for (const tokenId of tokenIds) {
    await recordSecurityEvent(manager, { type: 'pat.revoked', subject: { user: userId }, initiatedBy: 'user', data: { token_id: tokenId } });
  }
}

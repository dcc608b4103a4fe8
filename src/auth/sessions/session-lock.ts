import type { EntityManager } from 'typeorm';
import type { UserRole } from '../../db/entities/index';
import { hashRefreshToken, allSecrets } from './refresh-tokens';
import type { RotatedRefreshToken, SessionSettings } from './sessions';
import { sql } from '../sql';
import type { TokenSecrets } from '../tokens/token-secret';

/** What the session row says about a presented token, read under the session's row lock. */
export interface LockedSession {
  user_id: string;
  generation: number;
  current_hash: Buffer | null;
  rotated_in_interval: boolean;
  revoked: boolean;
  expired: boolean;
  role: UserRole;
  is_active: boolean;
  email_verified: boolean;
  amr: string[];
  auth_time: Date;
}

/** Runs in the transaction that revokes the session on reuse (the audit event), so both commit together. */
export type ReuseRecorder = (manager: EntityManager, reuse: { sessionId: string; userId: string }) => Promise<void>;

export type RotationOutcome =
  | { kind: 'rotated'; token: RotatedRefreshToken }
  | { kind: 'reused'; sessionId: string; userId: string }
  | { kind: 'invalid' };

export async function lockSession(manager: EntityManager, sessionId: string, settings: SessionSettings): Promise<LockedSession | undefined> {
  const { rows } = await sql<LockedSession>(
    manager,
    `SELECT s.user_id, s.refresh_generation AS generation, s.refresh_token_hash AS current_hash,
            s.refresh_rotated_at >= statement_timestamp() - make_interval(secs => $2) AS rotated_in_interval,
            s.revoked_at IS NOT NULL AS revoked,
            (s.expires_at <= statement_timestamp() OR s.created_at <= statement_timestamp() - make_interval(secs => $3)) AS expired,
            u.role, u.is_active, u.email_verified_at IS NOT NULL AS email_verified, s.amr, COALESCE(s.auth_time, s.created_at) AS auth_time
       FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id
      WHERE s.id = $1
        FOR UPDATE OF s`,
    [sessionId, settings.reuseIntervalSeconds, settings.maxLifetimeSeconds],
  );
  return rows[0];
}

/** The child of `parent` the session holds as current, made with whichever accepted secret made it. */
export function currentChildOf(secrets: TokenSecrets, session: LockedSession, make: (secret: Buffer) => string): string | undefined {
  if (!session.current_hash) return undefined;
  for (const secret of allSecrets(secrets)) {
    const child = make(secret);
    if (hashRefreshToken(child).equals(session.current_hash)) return child;
  }
  return undefined;
}

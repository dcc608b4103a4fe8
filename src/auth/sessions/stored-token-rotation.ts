import type { EntityManager } from 'typeorm';
import { allSecrets, childRefreshToken, hashRefreshToken, legacyChildRefreshToken } from './refresh-tokens';
import { revokeSessionWith } from './revocation';
import { currentChildOf, lockSession, type ReuseRecorder, type RotationOutcome } from './session-lock';
import { sessionAuthentication, type SessionSettings } from './sessions';
import { sql } from '../sql';
import type { TokenSecrets } from '../tokens/token-secret';

/**
 * A token kept as a refresh_tokens row: one of the previous format (issued before issue 15,
 * `generation` 0), or one whose session the migration's `down` moved there. Accepted until it is
 * rotated, with the rules it had. Unused: marked used, and the session moves to the next
 * generation of the current format with the token's derived child. Presented again within the
 * interval: the same child. Otherwise: reuse. Its row and the session are locked in that order.
 */
export async function rotateStoredToken(
  manager: EntityManager,
  secrets: TokenSecrets,
  presented: string,
  generation: number,
  settings: SessionSettings,
  recordReuse?: ReuseRecorder,
): Promise<RotationOutcome> {
  const { rows } = await sql<{
    token_id: string;
    session_id: string;
    used: boolean;
    token_expired: boolean;
    in_reuse_interval: boolean;
  }>(
    manager,
    `SELECT rt.id AS token_id, rt.session_id, rt.used_at IS NOT NULL AS used, rt.expires_at <= statement_timestamp() AS token_expired,
            rt.used_at >= statement_timestamp() - make_interval(secs => $2) AS in_reuse_interval
       FROM auth.refresh_tokens rt JOIN auth.sessions s ON s.id = rt.session_id
      WHERE rt.token_hash = $1
        FOR UPDATE OF rt, s`,
    [hashRefreshToken(presented), settings.reuseIntervalSeconds],
  );
  const legacy = rows[0];
  if (!legacy || legacy.token_expired) return { kind: 'invalid' };
  const session = await lockSession(manager, legacy.session_id, settings);
  if (!session || session.revoked || session.expired || !session.is_active) return { kind: 'invalid' };
  const base = {
    sessionId: legacy.session_id,
    userId: session.user_id,
    role: session.role,
    emailVerified: session.email_verified,
    authentication: sessionAuthentication(session.amr, session.auth_time),
  };

  if (!legacy.used) {
    // An unused row with a session already in the current format cannot be issued by this code.
    if (session.current_hash !== null) return { kind: 'invalid' };
    const child = childRefreshToken(secrets.current, legacy.session_id, generation, presented);
    await sql(manager, `UPDATE auth.refresh_tokens SET used_at = statement_timestamp() WHERE id = $1`, [legacy.token_id]);
    await sql(
      manager,
      `UPDATE auth.sessions SET refresh_generation = $5, refresh_token_hash = $2, refresh_rotated_at = statement_timestamp(),
              last_used_at = statement_timestamp(),
              expires_at = LEAST(statement_timestamp() + make_interval(secs => $3), created_at + make_interval(secs => $4))
        WHERE id = $1`,
      [legacy.session_id, hashRefreshToken(child), settings.refreshTokenTtlSeconds, settings.maxLifetimeSeconds, generation + 1],
    );
    return { kind: 'rotated', token: { ...base, refreshToken: child } };
  }
  if (legacy.used && legacy.in_reuse_interval) {
    // Rotated since the change: its child is the session's next generation, if still current.
    if (session.generation === generation + 1) {
      const current = currentChildOf(secrets, session, (secret) => childRefreshToken(secret, legacy.session_id, generation, presented));
      if (current) return { kind: 'rotated', token: { ...base, refreshToken: current } };
    }
    // Rotated just before the change: its child is a previous-format row, if still unused.
    if (session.current_hash === null && generation === 0) {
      for (const secret of allSecrets(secrets)) {
        const child = legacyChildRefreshToken(secret, presented);
        const unused = await sql(
          manager,
          `SELECT 1 FROM auth.refresh_tokens WHERE token_hash = $1 AND parent_id = $2 AND used_at IS NULL AND expires_at > statement_timestamp()`,
          [hashRefreshToken(child), legacy.token_id],
        );
        if (unused.count === 1) return { kind: 'rotated', token: { ...base, refreshToken: child } };
      }
    }
  }
  await revokeSessionWith(manager, legacy.session_id, 'refresh_token_reused');
  await recordReuse?.(manager, { sessionId: legacy.session_id, userId: session.user_id });
  return { kind: 'reused', sessionId: legacy.session_id, userId: session.user_id };
}

import type { EntityManager } from 'typeorm';
import { issueAccountToken } from '../accounts/account-tokens';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { enqueueMail } from '../mail/outbox';
import { sql } from '../sql';
import { deviceFamily, networkOf } from './device-family';

export interface NewDeviceNoticeDeps {
  enabled: boolean;
  /** outboxKey(TOKEN_SECRET). */
  outboxKey: Buffer;
  /** How long the "this was not me" reset link stays valid (PASSWORD_RESET_TTL_SECONDS). */
  resetTtlSeconds: number;
}

/** How many of the user's earlier sessions, and of their page sign-ins, are compared: enough for any real player, bounded for a bot. */
const SESSIONS_COMPARED = 200;

/**
 * The new-device notice (issue 30), run in the transaction of a sign-in: when none of the user's
 * earlier sign-ins came from the same browser family and OS *and* the same network (/24, /48), a
 * mail tells the user where the sign-in came from, with a password-reset link for "this was not
 * me" (a reset ends every session), and the audit log records new_device_notified. Earlier
 * sign-ins are the user's sessions (live or ended, as long as they are kept) and the sign-ins
 * finished on the service's own pages (login_succeeded with `via`: the OpenID provider's login
 * page, /device), which start no session of ours. A user with no earlier sign-in gets nothing.
 * `sessionId` is the sign-in's own session (null for a page's: call this before its
 * login_succeeded is written). Resolves to whether mail was queued (the sender finds it at its
 * next poll).
 */
export function createNewDeviceNotice(deps: NewDeviceNoticeDeps) {
  return async (manager: EntityManager, user: { id: string; email: string | null }, sessionId: string | null, client: AuditClient): Promise<boolean> => {
    if (!deps.enabled || !user.email) return false;
    const { rows } = await sql<{ ip: string | null; user_agent: string | null }>(
      manager,
      `(SELECT host(ip) AS ip, user_agent FROM auth.sessions
         WHERE user_id = $1 AND id IS DISTINCT FROM $2 ORDER BY created_at DESC LIMIT $3)
       UNION ALL
       (SELECT host(ip) AS ip, user_agent FROM auth.audit_events
         WHERE user_id = $1 AND type = 'login_succeeded' AND detail->>'via' IS NOT NULL ORDER BY id DESC LIMIT $3)`,
      [user.id, sessionId, SESSIONS_COMPARED],
    );
    if (rows.length === 0) return false;
    const family = deviceFamily(client.userAgent);
    const network = networkOf(client.ip);
    const seen = rows.some((row) => {
      const f = deviceFamily(row.user_agent);
      return f.browser === family.browser && f.os === family.os && networkOf(row.ip) === network;
    });
    if (seen) return false;
    const device = `${family.browser}, ${family.os}`;
    const token = await issueAccountToken(manager, user.id, 'reset_password', deps.resetTtlSeconds);
    await enqueueMail(manager, deps.outboxKey, { template: 'new_device_signin', to: user.email, userId: user.id, token, params: { device, ip: client.ip ?? '?', valid_minutes: Math.round(deps.resetTtlSeconds / 60) } });
    await recordEvent(manager, { type: 'new_device_notified', userId: user.id, sessionId, client, detail: { browser: family.browser, os: family.os } });
    return true;
  };
}

export type NewDeviceNotice = ReturnType<typeof createNewDeviceNotice>;

import type { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import { recordSecurityEvent } from '../events/record';
import { isUuid } from '../ids';
import { sql } from '../sql';
import { isUsable, readInstallationAccess, type InstallationAccess } from '../tokens/installation-access';
import { revokeGrantRows } from './adapter';
import { permissionsOfScopes } from './scopes';

/**
 * Connected apps: a player's consent to a cat's OpenID client, bound to one installation of that
 * cat (auth.connected_apps). The policy of issue 27 lives here: a token carries only the permission
 * scopes the player granted AND the installation still has, and none is issued, refreshed or
 * introspected as active once the consent is revoked, the installation paused or uninstalled, or
 * the cat unpublished (grantAccess is asked on every use).
 */

export interface ConnectedAppView {
  id: string;
  client_id: string;
  client_name: string | null;
  cat: { id: string; name: string };
  installation: { id: string; instance_name: string; status: string };
  /** Every scope granted at consent. */
  scopes: string[];
  /** The permissions a token carries now: granted scopes the installation still has. */
  permissions: string[];
  granted_at: string;
  last_used_at: string | null;
}

export interface ConsentInput {
  userId: string;
  clientId: string;
  installationId: string;
  grantId: string;
  scopes: string[];
  client?: AuditClient;
}

/** Why a grant may not be used now; each reads as a sentence in error_description. */
export type GrantRefusal = 'no_consent' | 'consent_revoked' | 'account_inactive' | 'installation_missing' | 'installation_inactive' | 'cat_unpublished';

export type GrantAccess =
  | { ok: true; appId: string; userId: string; clientId: string; installation: InstallationAccess; scopes: string[]; perms: string[] }
  | { ok: false; reason: GrantRefusal; userId?: string; clientId?: string };

export const REFUSAL_WORDS: Record<GrantRefusal, string> = {
  no_consent: 'no consent of the player is on record for this grant',
  consent_revoked: 'the player has disconnected this app',
  account_inactive: "the player's account is deactivated",
  installation_missing: 'the installation this consent was given for no longer exists',
  installation_inactive: 'the installation this consent was given for is paused or uninstalled',
  cat_unpublished: 'the cat of this app is not published',
};

/**
 * Records a consent: one row per player and client, replaced by a new consent (whose grant
 * supersedes the old one: the old grant's tokens are deleted in the same transaction).
 */
export async function recordConsent(dataSource: DataSource, input: ConsentInput): Promise<string> {
  return dataSource.transaction(async (manager) => {
    const { rows: previous } = await sql<{ grant_id: string }>(
      manager,
      `SELECT grant_id FROM auth.connected_apps WHERE user_id = $1 AND client_id = $2 FOR UPDATE`,
      [input.userId, input.clientId],
    );
    const old = previous[0]?.grant_id;
    if (old && old !== input.grantId) await revokeGrantRows(manager, old);
    const { rows } = await sql<{ id: string }>(
      manager,
      `INSERT INTO auth.connected_apps (user_id, client_id, installation_id, grant_id, scopes)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (user_id, client_id) DO UPDATE
         SET installation_id = EXCLUDED.installation_id, grant_id = EXCLUDED.grant_id, scopes = EXCLUDED.scopes,
             granted_at = now(), revoked_at = NULL, revoked_reason = NULL
       RETURNING id`,
      [input.userId, input.clientId, input.installationId, input.grantId, input.scopes],
    );
    const id = rows[0]!.id;
    await recordEvent(manager, {
      type: 'oidc_consent_granted',
      userId: input.userId,
      client: input.client,
      detail: { connected_app_id: id, client_id: input.clientId, installation_id: input.installationId, scopes: input.scopes },
    });
    return id;
  });
}

/**
 * Whether tokens of `grantId` may be issued or honoured now, and with which permissions. Reads the
 * consent and the installation afresh (two short statements) on every call: there is no cache to
 * outlive a pause or a revocation.
 */
export async function grantAccess(executor: DataSource | EntityManager, grantId: string): Promise<GrantAccess> {
  const { rows } = await sql<{ id: string; user_id: string; client_id: string; installation_id: string; scopes: string[]; revoked_at: Date | null; user_active: boolean }>(
    executor,
    `SELECT a.id, a.user_id, a.client_id, a.installation_id, a.scopes, a.revoked_at, (u.is_active AND u.deleted_at IS NULL) AS user_active
       FROM auth.connected_apps a JOIN auth.users u ON u.id = a.user_id WHERE a.grant_id = $1`,
    [grantId],
  );
  const app = rows[0];
  if (!app) return { ok: false, reason: 'no_consent' };
  const who = { userId: app.user_id, clientId: app.client_id };
  if (app.revoked_at) return { ok: false, reason: 'consent_revoked', ...who };
  // Introspection asks only this (the library looks the account up at the token endpoint and userinfo).
  if (!app.user_active) return { ok: false, reason: 'account_inactive', ...who };
  const installation = await readInstallationAccess(executor, app.installation_id);
  if (!installation || installation.userId !== app.user_id) return { ok: false, reason: 'installation_missing', ...who };
  if (!isUsable(installation)) {
    return { ok: false, reason: installation.status !== 'active' ? 'installation_inactive' : 'cat_unpublished', ...who };
  }
  const perms = permissionsOfScopes(app.scopes).filter((p) => installation.perms.includes(p));
  return { ok: true, appId: app.id, ...who, installation, scopes: app.scopes, perms };
}

/** Notes that a client used its grant (a code or refresh token exchanged). */
export async function touchConnectedApp(dataSource: DataSource, grantId: string): Promise<void> {
  await sql(dataSource, `UPDATE auth.connected_apps SET last_used_at = now() WHERE grant_id = $1`, [grantId]);
}

/** The player's connected apps that are not revoked, most recently granted first. */
export async function listConnectedApps(dataSource: DataSource, userId: string): Promise<ConnectedAppView[]> {
  const { rows } = await sql<{
    id: string; client_id: string; metadata: { client_name?: string }; cat_id: string; cat_name: string;
    installation_id: string; instance_name: string; status: string; scopes: string[]; granted_at: Date; last_used_at: Date | null;
  }>(
    dataSource,
    `SELECT a.id, a.client_id, oc.metadata, c.id AS cat_id, c.name AS cat_name, i.id AS installation_id, i.instance_name,
            i.status::text AS status, a.scopes, a.granted_at, a.last_used_at
       FROM auth.connected_apps a
       JOIN auth.oidc_clients oc ON oc.client_id = a.client_id
       JOIN installation.installations i ON i.id = a.installation_id
       JOIN catalog.cats c ON c.id = i.cat_id
      WHERE a.user_id = $1 AND a.revoked_at IS NULL
      ORDER BY a.granted_at DESC, a.id`,
    [userId],
  );
  const views: ConnectedAppView[] = [];
  for (const r of rows) {
    const installation = await readInstallationAccess(dataSource, r.installation_id);
    const usable = installation !== undefined && isUsable(installation);
    views.push({
      id: r.id,
      client_id: r.client_id,
      client_name: r.metadata.client_name ?? null,
      cat: { id: r.cat_id, name: r.cat_name },
      installation: { id: r.installation_id, instance_name: r.instance_name, status: r.status },
      scopes: r.scopes,
      permissions: usable ? permissionsOfScopes(r.scopes).filter((p) => installation.perms.includes(p)) : [],
      granted_at: r.granted_at.toISOString(),
      last_used_at: r.last_used_at?.toISOString() ?? null,
    });
  }
  return views;
}

/**
 * Disconnects an app: the consent is marked revoked and its grant's codes and tokens deleted in one
 * transaction, so its refresh token and access tokens stop at once (refresh answers invalid_grant,
 * introspection active: false). `userId` scopes the lookup: another player's app is not_found.
 */
export async function revokeConnectedApp(
  dataSource: DataSource,
  { userId, appId, actorId, reason, client }: { userId: string; appId: string; actorId?: string; reason: 'user' | 'admin'; client?: AuditClient },
): Promise<void> {
  if (!isUuid(appId)) throw new AppError('not_found', 'No such connected app.');
  await dataSource.transaction(async (manager) => {
    const { rows } = await sql<{ grant_id: string; client_id: string }>(
      manager,
      `UPDATE auth.connected_apps SET revoked_at = now(), revoked_reason = $3
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING grant_id, client_id`,
      [appId, userId, reason],
    );
    const app = rows[0];
    if (!app) throw new AppError('not_found', 'No such connected app.');
    const tokens = await revokeGrantRows(manager, app.grant_id);
    await recordEvent(manager, {
      type: 'oidc_consent_revoked',
      userId,
      actorId: actorId ?? null,
      client,
      detail: { connected_app_id: appId, client_id: app.client_id, reason, rows_deleted: tokens },
    });
    await recordSecurityEvent(manager, {
      type: 'connected_app.revoked',
      subject: { user: userId },
      initiatedBy: reason === 'admin' ? 'admin' : 'user',
      data: { connected_app_id: appId, client_id: app.client_id },
    });
  });
}

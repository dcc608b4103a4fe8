import type { DataSource, EntityManager } from 'typeorm';
import { sql } from '../sql';

/**
 * What a cat may do for a player, read afresh from the installation and catalog services' tables:
 * the one model behind both ways a cat gets a Cat House token, the proxy's installation tokens
 * (token-exchange.ts, `perms`) and the OpenID provider's tokens for a cat's own client
 * (oidc/connected-apps.ts, the granted scopes narrowed to these `perms`).
 */
export interface InstallationAccess {
  installationId: string;
  userId: string;
  catId: string;
  /** active | paused | uninstalled */
  status: string;
  /** draft | published | suspended */
  catStatus: string;
  /** The permission types the installation has granted now, sorted. */
  perms: string[];
}

/** Whether the installation may be acted for at all: active, and its cat published. */
export function isUsable(access: InstallationAccess): boolean {
  return access.status === 'active' && access.catStatus === 'published';
}

/** The installation's state and granted permissions now; undefined when there is no such installation. */
export async function readInstallationAccess(executor: DataSource | EntityManager, installationId: string): Promise<InstallationAccess | undefined> {
  const { rows } = await sql<{ user_id: string; cat_id: string; status: string; cat_status: string; perms: string[] }>(
    executor,
    `SELECT i.user_id, i.cat_id, i.status::text AS status, c.status::text AS cat_status,
            COALESCE(array_agg(DISTINCT p.permission_type::text ORDER BY p.permission_type::text)
                       FILTER (WHERE p.permission_type IS NOT NULL), '{}') AS perms
       FROM installation.installations i
       JOIN catalog.cats c ON c.id = i.cat_id
       LEFT JOIN installation.installation_permissions ip ON ip.installation_id = i.id AND ip.granted
       -- The permission must be of the installation's own cat (issue 22 L1; the composite foreign
       -- keys of installation_permissions hold the data to it too).
       LEFT JOIN catalog.permissions p ON p.id = ip.permission_id AND p.cat_id = i.cat_id
      WHERE i.id = $1
      GROUP BY i.id, c.id`,
    [installationId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { installationId, userId: row.user_id, catId: row.cat_id, status: row.status, catStatus: row.cat_status, perms: row.perms };
}

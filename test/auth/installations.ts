import type { DataSource } from 'typeorm';
import { createServiceClient, type IssuedSecret } from '../../src/auth/tokens/service-clients';

/** Test data for token exchange, written with plain SQL into the catalog and installation schemas. */
export async function createCat(ds: DataSource, developerId: string, status: 'draft' | 'published' | 'suspended' = 'published'): Promise<string> {
  const [{ id }] = await ds.query(
    `INSERT INTO catalog.cats (developer_id, name, version, endpoint_url, status) VALUES ($1, 'Purr', '1.0.0', 'https://cat.example/hook', $2) RETURNING id`,
    [developerId, status],
  );
  return id;
}

export type PermissionType = 'storage' | 'notification' | 'external_api';

/**
 * Installs `catId` for `userId` with the cat asking for every permission in `asked` and the
 * installation granting those in `granted`. Returns the installation id.
 */
export async function install(
  ds: DataSource,
  userId: string,
  catId: string,
  { asked = ['storage', 'notification'] as PermissionType[], granted = ['storage'] as PermissionType[], status = 'active' } = {},
): Promise<string> {
  const [{ id }] = await ds.query(
    `INSERT INTO installation.installations (user_id, cat_id, instance_name, status) VALUES ($1, $2, 'home-' || gen_random_uuid(), $3) RETURNING id`,
    [userId, catId, status],
  );
  for (const type of asked) {
    const [perm] = await ds.query(`INSERT INTO catalog.permissions (cat_id, permission_type) VALUES ($1, $2) RETURNING id`, [catId, type]);
    await ds.query(
      `INSERT INTO installation.installation_permissions (installation_id, permission_id, granted, granted_at) VALUES ($1, $2, $3, CASE WHEN $3 THEN now() END)`,
      [id, perm.id, granted.includes(type)],
    );
  }
  return id;
}

/** A service client made through the same function `npm run admin -- clients create` calls. */
export function serviceClient(ds: DataSource, clientId: string, scopes: string[]): Promise<IssuedSecret> {
  return createServiceClient(ds, clientId, scopes);
}

export const decodeClaims = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));

import { MigrationDataSource } from '../../src/db/migration-data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';

/**
 * Issue 22 L1, the migration side: the grants of a database from before the composite keys are
 * given their installation's cat; a grant that names another cat's permission cannot be kept under
 * the keys, and the migration stops and says so rather than deleting it (a migration never destroys
 * data silently).
 */
describe('the migration that holds grants to their own cat', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  const withMigrator = async <T>(fn: (ds: MigrationDataSource) => Promise<T>): Promise<T> => {
    const ds = new MigrationDataSource(testConfig(), db.url, { loadMigrations: false, loadEntities: false });
    await ds.initialize();
    try {
      return await fn(ds);
    } finally {
      await ds.destroy();
    }
  };

  it('stops on a grant of another cat\'s permission, naming it and keeping it; applies once it is dealt with', async () => {
    await withMigrator(async (ds) => {
      const before = await ds.migrator().up({ target: 'SecurityStampAndErasure' });
      expect(before.error).toBeUndefined();
      const [{ id: userId }] = await ds.query(`INSERT INTO auth.users (email, password_hash) VALUES ('grants@cathouse.example', 'x') RETURNING id`);
      const cat = async () => (await ds.query(`INSERT INTO catalog.cats (developer_id, name, version, endpoint_url) VALUES ($1, 'Purr', '1', 'https://cat.example') RETURNING id`, [userId]))[0].id;
      const [mine, other] = [await cat(), await cat()];
      const [{ id: installationId }] = await ds.query(`INSERT INTO installation.installations (user_id, cat_id, instance_name) VALUES ($1, $2, 'home') RETURNING id`, [userId, mine]);
      const permission = async (catId: string) => (await ds.query(`INSERT INTO catalog.permissions (cat_id, permission_type) VALUES ($1, 'storage') RETURNING id`, [catId]))[0].id;
      const [own, foreign] = [await permission(mine), await permission(other)];
      for (const p of [own, foreign]) await ds.query(`INSERT INTO installation.installation_permissions (installation_id, permission_id, granted) VALUES ($1, $2, true)`, [installationId, p]);

      const refused = await ds.migrator().up();
      expect(refused.error?.message).toMatch(/1 grant\(s\) in installation\.installation_permissions name a permission of another cat than their installation's/);
      expect(await ds.query(`SELECT count(*)::int AS n FROM installation.installation_permissions`)).toEqual([{ n: 2 }]);

      await ds.query(`DELETE FROM installation.installation_permissions WHERE permission_id = $1`, [foreign]);
      const applied = await ds.migrator().up();
      expect(applied.error).toBeUndefined();
      expect(await ds.query(`SELECT permission_id, cat_id FROM installation.installation_permissions`)).toEqual([{ permission_id: own, cat_id: mine }]);
    });
  });
});

import { MigrationDataSource } from '../../src/db/migration-data-source';
import { MIGRATIONS_TABLE } from '../../src/db/migration-paths';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';

/**
 * Issue 25: IdentitiesAndGuests adds the guest role. Its down cannot keep a guest (the enum value
 * goes) and must not delete one (other services may hold rows for that id): it refuses, naming the
 * cause, and changes nothing. Once no guest is left it goes down, and the functions it rebuilt keep
 * their grants.
 */
describe('IdentitiesAndGuests down while guests exist', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('refuses with the reason, loses nothing, and goes down once the guests are gone', async () => {
    const ds = new MigrationDataSource(testConfig(), db.url, { loadMigrations: false, loadEntities: false });
    await ds.initialize();
    try {
      expect((await ds.migrator().up({ target: 'IdentitiesAndGuests' })).error).toBeUndefined();
      const [{ id: guestId }] = await ds.query(`INSERT INTO auth.users (email, password_hash, role) VALUES (NULL, NULL, 'guest') RETURNING id`);
      const [{ id: playerId }] = await ds.query(`INSERT INTO auth.users (email, password_hash) VALUES ('linked@cathouse.example', 'x') RETURNING id`);
      await ds.query(`INSERT INTO auth.identities (user_id, provider, subject) VALUES ($1, 'google', 'g-1')`, [playerId]);
      const applied = async () => ((await ds.query(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`)) as { name: string }[]).map((m) => m.name);
      const before = await applied();

      const refused = await ds.migrator().down({ target: 'UserLocale' });
      expect(refused.error?.message).toMatch(/guest accounts exist.*upgrade or delete them first/);
      expect(await applied()).toEqual(before);
      expect(await ds.query(`SELECT role FROM auth.users WHERE id = $1`, [guestId])).toEqual([{ role: 'guest' }]);
      expect(await ds.query(`SELECT count(*)::int AS n FROM auth.identities`)).toEqual([{ n: 1 }]);

      await ds.query(`DELETE FROM auth.users WHERE id = $1`, [guestId]);
      expect((await ds.migrator().down({ target: 'UserLocale' })).error).toBeUndefined();
      expect(await applied()).not.toContain(before[before.length - 1]);
      const roles = (await ds.query(`SELECT unnest(enum_range(NULL::auth.user_role))::text AS r`)) as { r: string }[];
      expect(roles.map((r) => r.r)).toEqual(['player', 'developer', 'admin']);
      expect(await ds.query(`SELECT role FROM auth.users WHERE id = $1`, [playerId])).toEqual([{ role: 'player' }]);
    } finally {
      await ds.destroy();
    }
  });
});

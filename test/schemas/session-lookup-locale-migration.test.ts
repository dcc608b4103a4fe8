import { randomBytes } from 'node:crypto';
import { MigrationDataSource } from '../../src/db/migration-data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testConfig } from '../support/env';

/**
 * Issue 30: SessionLookupLocale gives auth.live_session_user (GET /me's read) an OUT locale. The
 * function is dropped and made again (PostgreSQL refuses to change OUT columns in place): its
 * EXECUTE grants must survive both ways, and down must give back the five-column function.
 */
describe('the migration that adds locale to the session lookup function', () => {
  let db: TestDatabase;
  const reader = `lookup_reader_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('keeps the function\'s grants up and down; up returns the locale, down the previous columns', async () => {
    const ds = new MigrationDataSource(testConfig(), db.url, { loadMigrations: false, loadEntities: false });
    await ds.initialize();
    try {
      expect((await ds.migrator().up({ target: 'IdentitiesAndGuests' })).error).toBeUndefined();
      await ds.query(`CREATE ROLE ${reader} NOLOGIN`);
      await ds.query(`REVOKE ALL ON FUNCTION auth.live_session_user(uuid, uuid) FROM PUBLIC`);
      await ds.query(`GRANT EXECUTE ON FUNCTION auth.live_session_user(uuid, uuid) TO ${reader}`);
      const [{ id: userId }] = await ds.query(`INSERT INTO auth.users (email, password_hash, locale) VALUES ('lookup@cathouse.example', 'x', 'es') RETURNING id`);
      const [{ id: sessionId }] = await ds.query(`INSERT INTO auth.sessions (user_id, expires_at) VALUES ($1, now() + interval '1 hour') RETURNING id`, [userId]);
      const grants = async () =>
        (await ds.query(`SELECT grantee::regrole::text AS grantee, privilege_type FROM aclexplode((SELECT proacl FROM pg_proc WHERE oid = 'auth.live_session_user(uuid, uuid)'::regprocedure)) a WHERE grantee <> (SELECT proowner FROM pg_proc WHERE oid = 'auth.live_session_user(uuid, uuid)'::regprocedure) ORDER BY 1`)) as unknown[];
      const lookup = async () => (await ds.query(`SELECT * FROM auth.live_session_user($1, $2)`, [sessionId, userId]))[0] as Record<string, unknown>;
      expect(await grants()).toEqual([{ grantee: reader, privilege_type: 'EXECUTE' }]);
      expect(Object.keys(await lookup())).not.toContain('locale');

      expect((await ds.migrator().up()).error).toBeUndefined();
      expect(await lookup()).toMatchObject({ email: 'lookup@cathouse.example', locale: 'es' });
      expect(await grants()).toEqual([{ grantee: reader, privilege_type: 'EXECUTE' }]);

      expect((await ds.migrator().down({ target: 'IdentitiesAndGuests' })).error).toBeUndefined();
      expect(Object.keys(await lookup()).sort()).toEqual(['created_at', 'display_name', 'email', 'email_verified', 'role']);
      expect(await grants()).toEqual([{ grantee: reader, privilege_type: 'EXECUTE' }]);
    } finally {
      await ds.query(`DROP OWNED BY ${reader}`).catch(() => undefined);
      await ds.query(`REVOKE ALL ON FUNCTION auth.live_session_user(uuid, uuid) FROM ${reader}`).catch(() => undefined);
      await ds.query(`DROP ROLE IF EXISTS ${reader}`).catch(() => undefined);
      await ds.destroy();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { definePrivilegePolicy, readPrivileges, type PrivilegeSettings } from '../src';
import { admin, createDatabase, type TestDatabase } from './support/database';
import { fixtureDataSource, migrationsDir, type MigrationsDir } from './support/fixtures';

/** The privilege engine on its own: a two-role policy over the kittens fixtures, moved into a schema `zoo`. */
const suffix = randomBytes(4).toString('hex');
const keeper = `keeper_${suffix}`;
const visitor = `visitor_${suffix}`;

const policy = definePrivilegePolicy({
  schemas: ['zoo'],
  roles: {
    keeper: { zoo: { '*': ['select', 'insert', 'update', 'delete'] } },
    visitor: { zoo: { kittens: { select: { except: ['secret'] } } } },
  },
});

describe('the privilege policy engine', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let client: Client;
  const settings = (createRoles = true): PrivilegeSettings => ({ policy, roles: { keeper: { name: keeper }, visitor: { name: visitor } }, createRoles });

  beforeEach(async () => {
    db = await createDatabase();
    dir = migrationsDir('basic');
    client = new Client({ connectionString: db.url });
    await client.connect();
    // The fixtures make public.kittens and public.toys; the policy owns a schema of their own.
    const plain = fixtureDataSource(db.url, { migrationsDir: dir.dir });
    await plain.initialize();
    await plain.migrator().up();
    await plain.destroy();
    await client.query(`CREATE SCHEMA zoo; ALTER TABLE kittens SET SCHEMA zoo; ALTER TABLE toys SET SCHEMA zoo; ALTER TABLE zoo.kittens ADD secret text`);
  });
  afterEach(async () => {
    await client.end();
    await db.drop();
    dir.remove();
  });
  afterAll(async () => {
    await admin((c) => c.query(`DROP ROLE IF EXISTS ${keeper}; DROP ROLE IF EXISTS ${visitor}`));
  });

  /** The engine reads through anything that returns rows (a QueryRunner, openReadConnection). */
  const rows = { query: async (text: string, params?: unknown[]) => (await client.query(text, params)).rows };
  const upWith = async (s: PrivilegeSettings) => {
    const ds = fixtureDataSource(db.url, { migrationsDir: dir.dir, privileges: s });
    await ds.initialize();
    try {
      return await ds.migrator().up();
    } finally {
      await ds.destroy();
    }
  };

  it('up creates the roles when asked, grants table and column privileges, and a second up changes nothing', async () => {
    const first = await upWith(settings());
    expect(first.error).toBeUndefined();
    expect(first.privileges!.createdRoles).toEqual([keeper, visitor]);
    expect(first.privileges!.statements).toEqual([
      `GRANT USAGE ON SCHEMA "zoo" TO "${keeper}"`,
      `GRANT USAGE ON SCHEMA "zoo" TO "${visitor}"`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON "zoo"."kittens" TO "${keeper}"`,
      `GRANT SELECT ("id", "name", "color") ON "zoo"."kittens" TO "${visitor}"`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON "zoo"."toys" TO "${keeper}"`,
      `GRANT USAGE ON SEQUENCE "zoo"."toys_id_seq" TO "${keeper}"`,
      expect.stringMatching(new RegExp(`^ALTER DEFAULT PRIVILEGES FOR ROLE "[^"]+" IN SCHEMA "zoo" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "${keeper}"$`)),
      expect.stringMatching(new RegExp(`^ALTER DEFAULT PRIVILEGES FOR ROLE "[^"]+" IN SCHEMA "zoo" GRANT USAGE ON SEQUENCES TO "${keeper}"$`)),
    ]);
    const second = await upWith(settings());
    expect(second.privileges!.statements).toEqual([]);
    expect(await readPrivileges(rows, settings())).toMatchObject({ ok: true, drift: [], fix: [] });
  });

  it('reads drift from the catalogs: a hand grant, a missing one, PUBLIC; fix holds the statements', async () => {
    await upWith(settings());
    await client.query(`GRANT SELECT (secret) ON zoo.kittens TO ${visitor}; REVOKE DELETE ON zoo.toys FROM ${keeper}; GRANT SELECT ON zoo.toys TO PUBLIC`);
    const report = await readPrivileges(rows, settings());
    expect(report.ok).toBe(false);
    expect(report.fix).toEqual([
      `REVOKE SELECT ON "zoo"."toys" FROM PUBLIC`,
      `REVOKE SELECT ("secret") ON "zoo"."kittens" FROM "${visitor}"`,
      `GRANT DELETE ON "zoo"."toys" TO "${keeper}"`,
    ]);
    expect(report.drift.map((d) => d.kind)).toEqual(['extra', 'extra', 'missing']);
    await upWith(settings());
    expect((await readPrivileges(rows, settings())).ok).toBe(true);
  });

  it('a role that may insert into a table with a serial column gets USAGE on its sequence, and can insert; other sequence grants are drift', async () => {
    await upWith(settings());
    const as = async (role: string, sql: string) => {
      await client.query(`SET ROLE ${role}`);
      try {
        return await client.query(sql);
      } finally {
        await client.query('RESET ROLE');
      }
    };
    // toys.id is SERIAL: without USAGE on toys_id_seq the INSERT fails though the table allows it.
    const inserted = await as(keeper, `INSERT INTO zoo.toys (kitten_id) VALUES (gen_random_uuid()) RETURNING id`);
    expect(inserted.rows[0].id).toBeGreaterThan(0);
    await expect(as(visitor, `SELECT nextval('zoo.toys_id_seq')`)).rejects.toThrow(/permission denied for sequence toys_id_seq/);
    // A table made later with a serial column: its sequence gets USAGE at CREATE time (default privileges).
    await client.query(`CREATE TABLE zoo.bowls (id bigserial PRIMARY KEY, kind text)`);
    await expect(as(keeper, `INSERT INTO zoo.bowls (kind) VALUES ('water')`)).resolves.toMatchObject({ rowCount: 1 });
    expect((await readPrivileges(rows, settings())).ok).toBe(true);
    // A sequence grant the policy does not imply is drift, with the REVOKE that removes it.
    await client.query(`GRANT USAGE ON SEQUENCE zoo.toys_id_seq TO ${visitor}; REVOKE USAGE ON SEQUENCE zoo.bowls_id_seq FROM ${keeper}`);
    const report = await readPrivileges(rows, settings());
    expect(report.fix).toEqual([
      `REVOKE USAGE ON SEQUENCE "zoo"."toys_id_seq" FROM "${visitor}"`,
      `GRANT USAGE ON SEQUENCE "zoo"."bowls_id_seq" TO "${keeper}"`,
    ]);
    expect(report.drift.map((d) => d.object)).toEqual(['sequence zoo.toys_id_seq', 'sequence zoo.bowls_id_seq']);
    await upWith(settings());
    expect((await readPrivileges(rows, settings())).ok).toBe(true);
  });

  it('up --sql (dry run) shows the sequence grant a pending migration\'s serial column will need, as the real run makes it', async () => {
    await upWith(settings());
    writeFileSync(
      path.join(dir.dir, '1700000000009-CreateBowls.ts'),
      `import { MigrationInterface, QueryRunner } from 'typeorm';
export class CreateBowls1700000000009 implements MigrationInterface {
  name = 'CreateBowls1700000000009';
  public async up(q: QueryRunner): Promise<void> { await q.query('CREATE TABLE "zoo"."bowls" ("id" SERIAL NOT NULL, "kind" text, CONSTRAINT "pk_bowls" PRIMARY KEY ("id"))'); }
  public async down(q: QueryRunner): Promise<void> { await q.query('DROP TABLE "zoo"."bowls"'); }
}
`,
    );
    // keeper's `*` gets the new table and its sequence by default privileges; visitor is granted it by name.
    const withBowls: PrivilegeSettings = {
      ...settings(),
      policy: { ...policy, roles: { ...policy.roles, visitor: { zoo: { ...policy.roles.visitor.zoo, bowls: ['select', 'insert'] } } } },
    };
    const ds = fixtureDataSource(db.url, { migrationsDir: dir.dir, privileges: withBowls });
    await ds.initialize();
    try {
      const preview = await ds.migrator().up({ dryRun: true });
      const expected = [`GRANT SELECT, INSERT ON "zoo"."bowls" TO "${visitor}"`, `GRANT USAGE ON SEQUENCE "zoo"."bowls_id_seq" TO "${visitor}"`];
      expect(preview.privileges!.statements).toEqual(expected);
      // The real run does what the preview showed.
      const real = await ds.migrator().up();
      expect(real.privileges!.statements).toEqual(expected);
      expect((await readPrivileges(rows, withBowls)).ok).toBe(true);
    } finally {
      await ds.destroy();
    }
  });

  it('without createRoles, up names the missing role and the statement that makes it, and fails', async () => {
    const run = await upWith({ ...settings(false), roles: { keeper: { name: `${keeper}_x` }, visitor: { name: `${visitor}_x` } } });
    expect(run.error?.code).toBe('privileges_incomplete');
    expect(run.error?.message).toContain(`role ${keeper}_x (keeper) does not exist: create it (CREATE ROLE "${keeper}_x" LOGIN;`);
  });

  it('refuses a policy that cannot mean anything, before touching the database', async () => {
    const bad = { ...settings(), policy: { schemas: ['zoo'], roles: { keeper: { elsewhere: { '*': ['select'] } } } } } as PrivilegeSettings;
    await expect(readPrivileges(rows, bad)).rejects.toThrow('privilege policy: role "keeper" is granted schema "elsewhere", which is not in the policy\'s schemas (zoo)');
  });
});

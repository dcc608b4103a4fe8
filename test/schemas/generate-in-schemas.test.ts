import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { migrate } from '../migrator/support/cli';
import { projectMigrationsDir, type MigrationsDir } from '../migrator/support/fixtures';

/**
 * TypeORM and schemas other than public, enums and defaults included: generate on a database at
 * head finds nothing (test/schema.test.ts, test/migrator/schema-workflow.test.ts); a change to one
 * package's enum gives a migration that touches only that package's schema, and its down works.
 */
describe('generate with enums and defaults outside public', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  const env = () => ({ MIGRATION_DATABASE_URL: db.url });
  const sql = async (text: string) => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(text)).rows;
    } finally {
      await c.end();
    }
  };

  beforeEach(async () => {
    db = await createTestDatabase();
    dir = projectMigrationsDir();
  });
  afterEach(async () => {
    await db.drop();
    dir.remove();
  });

  it('a value the catalog entity has and the database lacks: ADD VALUE in catalog only, and a down that restores the defaulted column', async () => {
    // The database as it was before the catalog package added 'suspended' to cat_status (the column has a default).
    await sql(`
      ALTER TABLE catalog.cats ALTER COLUMN status DROP DEFAULT;
      DROP INDEX catalog.idx_cats_status; DROP INDEX catalog.idx_cats_developer_id_status;
      ALTER TYPE catalog.cat_status RENAME TO cat_status_before;
      CREATE TYPE catalog.cat_status AS ENUM ('draft', 'published');
      ALTER TABLE catalog.cats ALTER COLUMN status TYPE catalog.cat_status USING status::text::catalog.cat_status;
      DROP TYPE catalog.cat_status_before;
      ALTER TABLE catalog.cats ALTER COLUMN status SET DEFAULT 'draft';
      CREATE INDEX idx_cats_status ON catalog.cats (status); CREATE INDEX idx_cats_developer_id_status ON catalog.cats (developer_id, status)`);
    const generated = await migrate(['generate', 'suspend-cats', '--dir', dir.dir], env()).done;
    expect(generated.stdout).toMatch(/generated .*-SuspendCats\.ts/);
    const file = readdirSync(dir.dir).find((f) => f.endsWith('-SuspendCats.ts'))!;
    const source = readFileSync(path.join(dir.dir, file), 'utf8');
    const statements = [...source.matchAll(/queryRunner\.query\(`(.*)`\);/g)].map((m) => m[1]!);
    expect(statements[0]).toBe(`ALTER TYPE "catalog"."cat_status" ADD VALUE 'suspended'`);
    // Only the catalog schema is touched, up and down.
    for (const s of statements) expect(s).toMatch(/"catalog"\./);
    expect(source).toContain(`ALTER TABLE "catalog"."cats" ALTER COLUMN "status" DROP DEFAULT`);
    expect(source).toContain(`ALTER TABLE "catalog"."cats" ALTER COLUMN "status" SET DEFAULT 'draft'`);

    expect((await migrate(['up', '--dir', dir.dir], env()).done).code).toBe(0);
    const down = await migrate(['down', '--dir', dir.dir], env()).done;
    expect(down.stdout).toMatch(/reverted +SuspendCats/);
    expect(down.code).toBe(0);
    const [{ labels, def }] = await sql(
      `SELECT enum_range(NULL::catalog.cat_status)::text AS labels,
              (SELECT column_default FROM information_schema.columns WHERE table_schema = 'catalog' AND table_name = 'cats' AND column_name = 'status') AS def`,
    );
    expect({ labels, def }).toEqual({ labels: '{draft,published}', def: `'draft'::catalog.cat_status` });
    expect((await migrate(['up', '--dir', dir.dir], env()).done).code).toBe(0);
    const again = await migrate(['generate', 'again', '--dir', dir.dir], env()).done;
    expect(again.stderr).toContain('nothing to generate');
  }, 120_000);
});

import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { MigrationDataSource, generateMigration, lintMigrations, readLintConfig, rehearse } from '@cathouse/migrator';
import { SnakeNamingStrategy } from '@cathouse/db-conventions';
import { catalogEntities } from '@cathouse/catalog';
import { installationEntities } from '@cathouse/installation';
import { proxyEntities } from '@cathouse/proxy';
import { MIGRATIONS_TABLE, MIGRATION_HISTORY, MIGRATION_LINT_CONFIG } from '../../src/db/migration-paths';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { migrate } from './support/cli';
import { projectMigrationsDir, type MigrationsDir } from './support/fixtures';

/**
 * Issue 24 item 1, end to end on the service's real schema: `displayName` widened to 200 in a
 * copy of the auth entities (the real entity is not touched), generate, rehearse with the data,
 * up, and the value is still there. TypeORM's own drop-and-add migration of the same change is
 * rehearsed too: the rehearsal counts what it would destroy.
 */

const ROOT = path.resolve(__dirname, '../..');
const SCRATCH = path.join(ROOT, 'scratch/widen-display-name');

/** A copy of src/db/entities with displayName as `length: 200`, loaded as the auth service's entities. */
function widenedAuthEntities(): unknown[] {
  const dir = path.join(SCRATCH, randomBytes(6).toString('hex'));
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(path.join(ROOT, 'src/db/entities'))) copyFileSync(path.join(ROOT, 'src/db/entities', f), path.join(dir, f));
  const file = path.join(dir, 'user.entity.ts');
  const source = readFileSync(file, 'utf8');
  const widened = source.replace(`@Column({ type: 'varchar', length: 100, nullable: true })\n  displayName`, `@Column({ type: 'varchar', length: 200, nullable: true })\n  displayName`);
  expect(widened).not.toBe(source);
  writeFileSync(file, widened);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(dir, 'index.ts')) as { authEntities: unknown[] }).authEntities;
}

function dataSource(url: string, migrationsDir: string, entities: unknown[]): MigrationDataSource {
  return new MigrationDataSource(
    {
      type: 'postgres',
      url,
      entities: [...entities, ...catalogEntities, ...installationEntities, ...proxyEntities] as never[],
      namingStrategy: new SnakeNamingStrategy(),
      uuidExtension: 'pgcrypto',
      installExtensions: false,
      migrationsTableName: MIGRATIONS_TABLE,
      migrations: [],
      logging: false,
    },
    { migrationsDir, timeouts: { lockTimeoutMs: 10_000, ddlLockTimeoutMs: 5_000, statementTimeoutMs: 0 }, history: MIGRATION_HISTORY },
  );
}

describe('widening users.display_name (issue 24 item 1): generate, rehearse with the data, up', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let client: Client;
  let ds: MigrationDataSource;
  const entities = widenedAuthEntities();

  beforeEach(async () => {
    db = await createTestDatabase({ migrated: true });
    dir = projectMigrationsDir();
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`INSERT INTO auth.users (email, password_hash, display_name) VALUES ('tom@example.com', 'x', 'Tom'), ('mia@example.com', 'x', NULL)`);
    ds = dataSource(db.url, dir.dir, entities);
    await ds.initialize();
  });
  afterEach(async () => {
    await ds.destroy();
    await client.end();
    await db.drop();
    dir.remove();
  });
  afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

  const displayNames = async () => (await client.query(`SELECT email, display_name FROM auth.users ORDER BY email`)).rows;
  const columnType = async () =>
    (await client.query(`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'auth.users'::regclass AND attname = 'display_name'`)).rows[0].t;

  it('generates ALTER COLUMN ... TYPE, rehearses it with 0 values destroyed, and up keeps "Tom"', async () => {
    const generated = await generateMigration(ds, dir.dir, 'widen-display-name', { migrator: ds.migrator(), lintConfig: readLintConfig(MIGRATION_LINT_CONFIG) });
    expect(generated.up).toEqual([`ALTER TABLE "auth"."users" ALTER COLUMN "display_name" TYPE character varying(200) USING "display_name"::character varying(200)`]);
    expect(generated.down).toEqual([`ALTER TABLE "auth"."users" ALTER COLUMN "display_name" TYPE character varying(100) USING "display_name"::character varying(100)`]);
    // The lint knows a longer varchar rewrites nothing: a warning with the reason, not an error.
    expect(generated.lint.errors).toBe(0);
    expect(generated.lint.findings.find((f) => f.rule === 'changing-column-type')).toMatchObject({ severity: 'warning', detail: expect.stringContaining('rewrites nothing') });

    const report = await rehearse(ds.migrator(), { withData: true });
    expect(report.steps.map((s) => [s.step, s.ok])).toEqual([['up', true], ['down', true], ['up again', true]]);
    expect(report).toMatchObject({ ok: true, destroyedTotal: 0, drift: [] });

    const run = await ds.migrator().up();
    expect(run.error).toBeUndefined();
    expect(await columnType()).toBe('character varying(200)');
    expect(await displayNames()).toEqual([
      { email: 'mia@example.com', display_name: null },
      { email: 'tom@example.com', display_name: 'Tom' },
    ]);
  });

  it("TypeORM's drop-and-add migration of the same change: lint names it a type change, rehearsal counts the loss, up loses the value", async () => {
    writeFileSync(
      path.join(dir.dir, '1799999999999-WidenDisplayName.ts'),
      `import { MigrationInterface, QueryRunner } from "typeorm";
export class WidenDisplayName1799999999999 implements MigrationInterface {
    name = 'WidenDisplayName1799999999999'
    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(\`ALTER TABLE "auth"."users" DROP COLUMN "display_name"\`);
        await queryRunner.query(\`ALTER TABLE "auth"."users" ADD "display_name" character varying(200)\`);
    }
    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(\`ALTER TABLE "auth"."users" DROP COLUMN "display_name"\`);
        await queryRunner.query(\`ALTER TABLE "auth"."users" ADD "display_name" character varying(100)\`);
    }
}
`,
    );
    const lint = await lintMigrations({ migrationsDir: dir.dir, migrator: ds.migrator(), config: readLintConfig(MIGRATION_LINT_CONFIG) });
    expect(lint.findings.filter((f) => f.severity === 'error').map((f) => [f.rule, f.objects])).toEqual([['changing-column-type', ['auth.users.display_name']]]);

    const report = await rehearse(ds.migrator(), { withData: true });
    expect(report.steps[0]!.destroyed).toMatchObject({ nulled: { 'auth.users.display_name': 1 }, total: 1 });
    expect(report.destroyedTotal).toBeGreaterThanOrEqual(1);

    await ds.migrator().up();
    expect((await displayNames()).find((r) => r.email === 'tom@example.com')!.display_name).toBeNull();
  });

  it('generate refuses a database that is behind its migrations, naming them and up (issue 24 item 2); --allow-pending overrides', async () => {
    await generateMigration(ds, dir.dir, 'widen-display-name', { migrator: ds.migrator() });
    const pending = readdirSync(dir.dir).find((f) => f.endsWith('-WidenDisplayName.ts'))!;
    await expect(generateMigration(ds, dir.dir, 'again', { migrator: ds.migrator() })).rejects.toMatchObject({
      code: 'not_up_to_date',
      message: expect.stringMatching(/^target database is not up to date: 1 migration\(s\) pending \(WidenDisplayName\d{13}\); a migration generated now would repeat their changes\. Apply them first \(migrator up\)/),
    });
    expect(readdirSync(dir.dir).filter((f) => f.endsWith('-Again.ts'))).toEqual([]);
    // Through the CLI: exit 1, one line, in Cat House's words.
    const cli = await migrate(['generate', 'again', '--dir', dir.dir], { MIGRATION_DATABASE_URL: db.url }).done;
    expect(cli.code).toBe(1);
    expect(cli.stderr.trim()).toMatch(/^error: target database is not up to date: 1 migration\(s\) pending .*Apply them first \(npm run migrate -- up\), then generate; or generate anyway with --allow-pending$/);
    expect(pending).toBeDefined();
    const allowed = await generateMigration(ds, dir.dir, 'again', { migrator: ds.migrator(), allowPending: true });
    expect(allowed.up).toEqual(generatedAgain());
  });
});

/** Against a database behind head, the diff repeats the pending migration's change: why generate refuses. */
const generatedAgain = () => [`ALTER TABLE "auth"."users" ALTER COLUMN "display_name" TYPE character varying(200) USING "display_name"::character varying(200)`];

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createDatabase, type TestDatabase } from './support/database';
import { packMigrator, throwawayProject, type Project, type TypeormVersion } from './support/throwaway-project';

/**
 * The package as another TypeORM project uses it: packed, installed into a fresh project with
 * TypeORM 0.3 or 1.x, its `migrator` bin run with plain node. A history in every shape TypeORM
 * loads goes through plain TypeORM and through the migrator in both orders: the same schema and
 * history rows, and each tool continues after the other.
 */
const exec = promisify(execFile);
const TSC = path.resolve(__dirname, '../../../node_modules/typescript/bin/tsc');
let tarball: string;

beforeAll(async () => {
  tarball = await packMigrator();
}, 300_000);

/** A history of every file shape TypeORM runs, in two folders, schema `app`, history table `app_history`. */
async function jsShapes(p: Project, env: Record<string, string>): Promise<void> {
  p.write(
    'data-source.js',
    `const { DataSource, EntitySchema } = require('typeorm');
const Pet = new EntitySchema({ name: 'Pet', tableName: 'pets', columns: { id: { type: Number, primary: true, generated: true }, nick: { type: String, length: 40 } } });
module.exports = { AppDataSource: new DataSource({ type: 'postgres', url: process.env.DB_URL, schema: 'app', migrationsTableName: 'app_history',
  entities: [Pet], migrations: ['db/core/*.js', 'db/extra/*.{js,mjs}'], logging: false }) };
`,
  );
  // TypeORM's own migration:create --outputJs (a class without name) ...
  const created = await p.typeorm(['migration:create', 'db/core/CreateOwners', '--outputJs', '-t', '1700000500001'], env);
  expect(created.code).toBe(0);
  const createdFile = path.join(p.dir, 'db/core/1700000500001-CreateOwners.js');
  const { readFileSync, writeFileSync } = await import('node:fs');
  // ... whose SQL says name = '...' (a regex over the source once took that for its name).
  writeFileSync(
    createdFile,
    readFileSync(createdFile, 'utf8')
      .replace(/async up\(queryRunner\) \{\s*\}/, "async up(queryRunner) {\n        await queryRunner.query(`CREATE TABLE \"app\".\"owners\" (\"id\" SERIAL PRIMARY KEY, \"name\" varchar NOT NULL)`);\n        await queryRunner.query(`INSERT INTO \"app\".\"owners\" (name) VALUES ('x')`);\n        await queryRunner.query(`UPDATE \"app\".\"owners\" SET name = 'admin'`);\n    }")
      .replace(/async down\(queryRunner\) \{\s*\}/, 'async down(queryRunner) {\n        await queryRunner.query(`DROP TABLE "app"."owners"`);\n    }'),
  );
  // ... and migration:generate --outputJs (a name property), from the entity above.
  const generated = await p.typeorm(['migration:generate', 'db/core/CreatePets', '--outputJs', '-t', '1700000500002', '-d', 'data-source.js'], env);
  expect(generated).toMatchObject({ code: 0 });
  // An ES5 build (tsc --target es5): var X = /** @class */ (function () { ... }()).
  p.write(
    'src-es5/1700000500003-AddOwnerEmail.ts',
    `import { MigrationInterface, QueryRunner } from "typeorm";
export class AddOwnerEmail1700000500003 implements MigrationInterface {
    name = 'AddOwnerEmail1700000500003'
    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(\`ALTER TABLE "app"."owners" ADD "email" character varying\`);
    }
    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(\`ALTER TABLE "app"."owners" DROP COLUMN "email"\`);
    }
}
`,
  );
  await exec(process.execPath, [TSC, '--target', 'es5', '--module', 'commonjs', '--lib', 'es2015', '--skipLibCheck', '--outDir', 'db/core', 'src-es5/1700000500003-AddOwnerEmail.ts'], { cwd: p.dir });
  expect(readFileSync(path.join(p.dir, 'db/core/1700000500003-AddOwnerEmail.js'), 'utf8')).toContain('/** @class */ (function () {');
  // A second folder: a computed name, and an anonymous default-exported class in an ES module.
  p.write(
    'db/extra/1700000500004-yarn.js',
    `const TS = 1700000500004;
module.exports = class CreateYarn {
    name = \`CreateYarn\${TS}\`;
    async up(queryRunner) { await queryRunner.query(\`CREATE TABLE "app"."yarn" ("id" SERIAL PRIMARY KEY, "color" text)\`); }
    async down(queryRunner) { await queryRunner.query(\`DROP TABLE "app"."yarn"\`); }
};
`,
  );
  p.write(
    'db/extra/1700000500005-anonymous.mjs',
    `export default class {
    name = 'AnonymousIndex1700000500005';
    async up(queryRunner) { await queryRunner.query('CREATE INDEX "idx_yarn_color" ON "app"."yarn" ("color")'); }
    async down(queryRunner) { await queryRunner.query('DROP INDEX "app"."idx_yarn_color"'); }
}
`,
  );
}

const LATER = `module.exports = class Later1700000500009 {
    async up(queryRunner) { await queryRunner.query(\`ALTER TABLE "app"."yarn" ADD "weight" integer\`); }
    async down(queryRunner) { await queryRunner.query(\`ALTER TABLE "app"."yarn" DROP COLUMN "weight"\`); }
};
`;

async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Tables, columns, constraints and indexes of every user schema: what two tools must agree on. */
async function schemaOf(url: string): Promise<string[]> {
  const rows = await query<{ line: string }>(
    url,
    `SELECT format('column %s.%s.%s %s %s %s', table_schema, table_name, column_name, data_type, is_nullable, column_default) AS line
       FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
     UNION ALL SELECT format('index %s.%s %s', schemaname, indexname, indexdef) FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
     UNION ALL SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) FROM pg_constraint
      WHERE connamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')
     ORDER BY 1`,
  );
  return rows.map((r) => r.line);
}

/** TypeORM's own TypeScript output (migration:create and migration:generate), run through ts-node by both tools. */
async function tsShapes(p: Project, env: Record<string, string>): Promise<void> {
  p.write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2021', module: 'commonjs', esModuleInterop: true, experimentalDecorators: true } }));
  p.write(
    'ts/data-source.ts',
    `import { DataSource, EntitySchema } from 'typeorm';
const Bowl = new EntitySchema<{ id: number; size: number }>({ name: 'Bowl', tableName: 'bowls', columns: { id: { type: Number, primary: true, generated: true }, size: { type: 'int' } } });
export default new DataSource({ type: 'postgres', url: process.env.DB_URL, entities: [Bowl], migrations: ['ts/migrations/*.ts'], logging: false });
`,
  );
  expect(await p.typeorm(['migration:generate', 'ts/migrations/CreateBowls', '-t', '1700000800001', '-d', 'ts/data-source.ts'], env)).toMatchObject({ code: 0 });
  expect(await p.typeorm(['migration:create', 'ts/migrations/SeedBowls', '-t', '1700000800002'], env)).toMatchObject({ code: 0 });
  const { readFileSync, writeFileSync } = await import('node:fs');
  const seed = path.join(p.dir, 'ts/migrations/1700000800002-SeedBowls.ts');
  writeFileSync(
    seed,
    readFileSync(seed, 'utf8')
      .replace(/(public async up\(queryRunner: QueryRunner\): Promise<void> \{)\s*\}/, '$1\n        await queryRunner.query(`INSERT INTO "bowls" ("size") VALUES (1), (2)`);\n    }')
      .replace(/(public async down\(queryRunner: QueryRunner\): Promise<void> \{)\s*\}/, '$1\n        await queryRunner.query(`DELETE FROM "bowls"`);\n    }'),
  );
}

const historyOf = (url: string) => query<{ id: number; timestamp: string; name: string }>(url, 'SELECT id, "timestamp", name FROM app.app_history ORDER BY id');

describe.each<TypeormVersion>(['typeorm03', 'typeorm'])('the packed migrator in a fresh project with %s', (typeorm) => {
  let project: Project;
  let first: TestDatabase;
  let second: TestDatabase;

  beforeAll(async () => {
    project = await throwawayProject(tarball, typeorm);
    const scratch = await createDatabase();
    try {
      await query(scratch.url, 'CREATE SCHEMA app');
      await jsShapes(project, { DB_URL: scratch.url });
    } finally {
      await scratch.drop();
    }
  }, 180_000);
  beforeEach(async () => {
    first = await createDatabase();
    second = await createDatabase();
    // The DataSource's schema exists before either tool runs (TypeORM creates its table there, not the schema).
    for (const db of [first, second]) await query(db.url, 'CREATE SCHEMA app');
  });
  afterEach(async () => {
    await first.drop();
    await second.drop();
    project.write('db/extra/1700000500009-later.js', '');
  });
  afterAll(() => project.remove());

  const migrator = (db: TestDatabase, ...args: string[]) => project.migrator([...args, '--data-source', 'data-source.js'], { DB_URL: db.url });
  const typeormCli = (db: TestDatabase, ...args: string[]) => project.typeorm([...args, '-d', 'data-source.js'], { DB_URL: db.url });
  const NAMES = [
    'CreateOwners1700000500001',
    expect.stringMatching(/^CreatePets1700000500002$/),
    'AddOwnerEmail1700000500003',
    'CreateYarn1700000500004',
    'AnonymousIndex1700000500005',
  ];

  it('reads every shape, names each as TypeORM does, and runs without a TypeScript loader', async () => {
    const status = await migrator(first, 'status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).pending).toEqual(NAMES);
    const history = await migrator(first, 'history');
    expect(history.stdout).not.toMatch(/admin/);
    // JavaScript and declarations only: nothing in the package needs a TypeScript loader.
    const { readdirSync } = await import('node:fs');
    const shipped = readdirSync(path.join(project.dir, 'node_modules/@cathouse/migrator'), { recursive: true }).map(String);
    expect(shipped).toContain('cli/bin.js');
    expect(shipped.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  }, 120_000);

  it('TypeORM first, then the migrator: nothing pending, stamp records checksums, each continues after the other', async () => {
    expect(await typeormCli(first, 'migration:run')).toMatchObject({ code: 0 });
    const status = await migrator(first, 'status', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ pending: [], problems: [] });
    const stamp = await migrator(first, 'stamp', 'head');
    expect(stamp.code).toBe(0);
    expect(stamp.stdout.match(/checksum recorded for/g)).toHaveLength(5);
    project.write('db/extra/1700000500009-later.js', LATER);
    expect(await migrator(first, 'up')).toMatchObject({ code: 0, stdout: expect.stringMatching(/applied {2}Later1700000500009/) });
    expect(await typeormCli(first, 'migration:revert')).toMatchObject({ code: 0 });
    expect(await typeormCli(first, 'migration:run')).toMatchObject({ code: 0 });

    // The other order on the second database: migrator first, TypeORM after it.
    project.write('db/extra/1700000500009-later.js', '');
    expect(await migrator(second, 'up')).toMatchObject({ code: 0 });
    const show = await typeormCli(second, 'migration:show');
    expect(show.stdout).not.toContain('[ ]');
    project.write('db/extra/1700000500009-later.js', LATER);
    expect(await typeormCli(second, 'migration:run')).toMatchObject({ code: 0 });
    expect(JSON.parse((await migrator(second, 'status', '--json')).stdout)).toMatchObject({ pending: [], problems: [] });
    expect(await migrator(second, 'down')).toMatchObject({ code: 0, stdout: expect.stringMatching(/reverted Later1700000500009/) });
    expect(await migrator(second, 'up')).toMatchObject({ code: 0 });

    expect(await schemaOf(second.url)).toEqual(await schemaOf(first.url));
    const [a, b] = [await historyOf(first.url), await historyOf(second.url)];
    expect(b.map((r) => [r.timestamp, r.name])).toEqual(a.map((r) => [r.timestamp, r.name]));
    expect(a.map((r) => r.name)).toEqual([...NAMES, 'Later1700000500009']);
  }, 240_000);

  it("TypeORM's TypeScript output through ts-node, in both orders: the same schema and history", async () => {
    const scratch = await createDatabase();
    try {
      await tsShapes(project, { DB_URL: scratch.url });
    } finally {
      await scratch.drop();
    }
    const tsMigrator = (db: TestDatabase, ...args: string[]) => project.migrator([...args, '--data-source', 'ts/data-source.ts'], { DB_URL: db.url });
    const tsTypeorm = (db: TestDatabase, ...args: string[]) => project.typeorm([...args, '-d', 'ts/data-source.ts'], { DB_URL: db.url });
    expect(await tsTypeorm(first, 'migration:run')).toMatchObject({ code: 0 });
    expect(JSON.parse((await tsMigrator(first, 'status', '--json')).stdout)).toMatchObject({ pending: [], problems: [] });
    expect(await tsMigrator(first, 'down')).toMatchObject({ code: 0, stdout: expect.stringMatching(/reverted SeedBowls1700000800002/) });
    expect(await tsTypeorm(first, 'migration:run')).toMatchObject({ code: 0 });

    expect(await tsMigrator(second, 'up')).toMatchObject({ code: 0 });
    expect((await tsTypeorm(second, 'migration:show')).stdout).not.toContain('[ ]');
    expect(await tsTypeorm(second, 'migration:revert')).toMatchObject({ code: 0 });
    expect(await tsMigrator(second, 'up')).toMatchObject({ code: 0, stdout: expect.stringMatching(/applied {2}SeedBowls1700000800002/) });

    expect(await schemaOf(second.url)).toEqual(await schemaOf(first.url));
    const rows = (url: string) => query<{ name: string }>(url, 'SELECT name FROM migrations ORDER BY id');
    expect(await rows(second.url)).toEqual(await rows(first.url));
    expect((await rows(first.url)).map((r) => r.name)).toEqual(['CreateBowls1700000800001', 'SeedBowls1700000800002']);
  }, 240_000);
});

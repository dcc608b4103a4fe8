import { createHash } from 'node:crypto';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import ts from 'typescript';
import { DataSource } from 'typeorm';
import { MigrationDataSource, Migrator, readMigrationFiles, type PostgresOptions } from '../src';
import { createDatabase, type TestDatabase } from './support/database';
import { TIMEOUTS, migrationsDir, type MigrationsDir } from './support/fixtures';

/** Where migrations come from and what they are called: as TypeORM loads and names them. */
describe('migrations as TypeORM loads them', () => {
  let dirs: MigrationsDir[] = [];
  const dir = (...sets: string[]) => {
    const d = migrationsDir(...sets);
    dirs.push(d);
    return d.dir;
  };
  afterEach(() => {
    for (const d of dirs) d.remove();
    dirs = [];
  });

  it("names module.exports = class and ES5 output (D1), and a class without name whose SQL says name = '...' by its class (D2)", async () => {
    const files = await readMigrationFiles(dir('shapes-js'));
    expect(files.map((f) => f.name)).toEqual(['CreateOwners1700000600001', 'AddOwnerEmail1700000600002']);
  });

  it('names a computed name and an anonymous default export from the loaded instance (D2)', async () => {
    const files = await readMigrationFiles(dir('second-folder'));
    expect(files.map((f) => [f.name, f.className])).toEqual([
      ['CreateYarn1700000600003', 'CreateYarn'],
      ['YarnColorIndex1700000600004', expect.any(String)],
    ]);
  });

  it('sees an edit to a migration file at once, even one that keeps its size and its modification time', async () => {
    const d = dir('basic');
    const file = path.join(d, '1700000000003-CreateToys.ts');
    const before = await readMigrationFiles(d);
    const { mtime, size } = statSync(file);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"toys"');
    writeFileSync(file, text.replace('"toys"', '"tous"'));
    utimesSync(file, mtime, mtime);
    expect(statSync(file)).toMatchObject({ mtime, size });
    const after = await readMigrationFiles(d);
    const checksum = (files: typeof before) => files.find((f) => f.name === 'CreateToys1700000000003')!.checksum;
    expect(checksum(after)).not.toBe(checksum(before));
    expect(after.find((f) => f.name === 'CreateToys1700000000003')!.source).toContain('"tous"');
    // The other files, unchanged, give the same entries.
    expect(after.filter((f) => f.name !== 'CreateToys1700000000003')).toEqual(before.filter((f) => f.name !== 'CreateToys1700000000003'));
  });

  it('keeps a checksum through formatting and compilation (to CommonJS and ES5), and changes it with a statement (D7)', async () => {
    const d = dir('basic');
    const file = path.join(d, '1700000000002-AddKittenColor.ts');
    const source = readFileSync(file, 'utf8');
    const original = (await readMigrationFiles(d)).find((f) => f.name === 'AddKittenColor1700000000002')!.checksum;
    const checksumOf = async (text: string, name = '1700000000002-AddKittenColor.ts') => {
      const other = dir();
      writeFileSync(path.join(other, name), text);
      return (await readMigrationFiles(other))[0]!.checksum;
    };
    const reformatted = `// reformatted by a formatter\n${source.replace(/`/g, "'").replace(/\n {2}/g, '\n\t').replace(/;\n/g, '\n')}`;
    expect(await checksumOf(reformatted)).toBe(original);
    const compile = (target: ts.ScriptTarget) => ts.transpileModule(source, { compilerOptions: { target, module: ts.ModuleKind.CommonJS } }).outputText;
    expect(await checksumOf(compile(ts.ScriptTarget.ES2022), '1700000000002-AddKittenColor.js')).toBe(original);
    expect(compile(ts.ScriptTarget.ES5)).toContain('/** @class */');
    expect(await checksumOf(compile(ts.ScriptTarget.ES5), '1700000000002-AddKittenColor.js')).toBe(original);
    expect(await checksumOf(source.replace('varying(20)', 'varying(30)'))).not.toBe(original);
  });
});

describe('history and folders where TypeORM has them', () => {
  let db: TestDatabase;
  let client: Client;
  let dirs: MigrationsDir[] = [];
  const dir = (...sets: string[]) => {
    const d = migrationsDir(...sets);
    dirs.push(d);
    return d.dir;
  };

  beforeEach(async () => {
    db = await createDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterEach(async () => {
    await client.end();
    await db.drop();
    for (const d of dirs) d.remove();
    dirs = [];
  });

  /** A project's own DataSource: two folders, its schema and history table, as TypeORM's CLI is given it. */
  const options = (a: string, b: string, extra: Partial<PostgresOptions> = {}): PostgresOptions => ({
    type: 'postgres',
    url: db.url,
    logging: false,
    migrations: [path.join(a, '*.{ts,js}'), path.join(b, '*.ts')],
    ...extra,
  });
  const migratorOn = async (opts: PostgresOptions) => {
    const ds = await new MigrationDataSource(opts, { timeouts: TIMEOUTS }).initialize();
    return { ds, migrator: ds.migrator() };
  };

  it("runs the DataSource's migrations from two folders where TypeORM ran them: schema 'app', its table name (D3, D5)", async () => {
    await client.query('CREATE SCHEMA app');
    const [a, b] = [dir('shapes-js'), dir('second-folder')];
    const opts = options(a, b, { schema: 'app', migrationsTableName: 'app_history' });
    // Plain TypeORM applied the first migration before the migrator came.
    const plain = await new DataSource({ ...opts, migrations: [path.join(a, '*1700000600001*')] }).initialize();
    try {
      await plain.runMigrations();
    } finally {
      await plain.destroy();
    }
    const { ds, migrator } = await migratorOn(opts);
    try {
      expect(migrator.history).toMatchObject({ schema: 'app', table: 'app_history' });
      const state = await migrator.status();
      expect(state.problems).toEqual([]);
      expect(state.pending).toEqual(['AddOwnerEmail1700000600002', 'CreateYarn1700000600003', 'YarnColorIndex1700000600004']);
      expect((await migrator.up()).error).toBeUndefined();
    } finally {
      await ds.destroy();
    }
    const { rows } = await client.query('SELECT name FROM app.app_history ORDER BY id');
    expect(rows.map((r) => r.name)).toEqual(['CreateOwners1700000600001', 'AddOwnerEmail1700000600002', 'CreateYarn1700000600003', 'YarnColorIndex1700000600004']);
    const again = await new DataSource(opts).initialize();
    try {
      expect(await again.showMigrations()).toBe(false);
    } finally {
      await again.destroy();
    }
  });

  it('stamp keeps the history rows of migrations it cannot see and says which, unless told (D3); it records missing checksums (D10)', async () => {
    const a = dir('shapes-js');
    const b = dir('second-folder');
    const both = await new DataSource(options(a, b)).initialize();
    try {
      await both.runMigrations();
    } finally {
      await both.destroy();
    }
    // One folder only: the other folder's two migrations are applied but invisible here.
    const { ds, migrator } = await migratorOn({ ...options(a, a) });
    try {
      const stamped = await migrator.stamp('head');
      expect(stamped.deleted).toEqual([]);
      expect(stamped.kept).toEqual(['CreateYarn1700000600003', 'YarnColorIndex1700000600004']);
      expect(stamped.checksummed).toEqual(['CreateOwners1700000600001', 'AddOwnerEmail1700000600002']);
      expect((await client.query('SELECT count(*)::int AS n FROM migrations')).rows[0].n).toBe(4);
      const purged = await migrator.stamp('head', { deleteMissing: true });
      expect(purged.deleted).toEqual(['CreateYarn1700000600003', 'YarnColorIndex1700000600004']);
    } finally {
      await ds.destroy();
    }
  });

  it("adopts today's checksums (of the file text): an applied history keeps working and is re-recorded once (D7)", async () => {
    const d = dir('basic');
    const { ds, migrator } = await migratorOn(options(d, d));
    try {
      expect((await migrator.up()).error).toBeUndefined();
      // The history as the previous version recorded it: sha256 of each file's text.
      for (const f of await migrator.migrations()) {
        const text = readFileSync(f.file, 'utf8');
        await client.query('UPDATE migration_checksums SET checksum = $1, applied_at = $2 WHERE name = $3', [
          createHash('sha256').update(text).digest('hex'),
          '2026-01-01T00:00:00Z',
          f.name,
        ]);
      }
      const before = await migrator.status();
      expect(before.problems).toEqual([]);
      expect(before.migrations.map((m) => m.checksum)).toEqual(['legacy', 'legacy', 'legacy']);
      const up = await migrator.up();
      expect(up.adopted).toHaveLength(3);
      const after = await migrator.status();
      expect(after.migrations.map((m) => m.checksum)).toEqual(['ok', 'ok', 'ok']);
      const { rows } = await client.query(`SELECT DISTINCT applied_at FROM migration_checksums`);
      expect(rows.map((r) => (r.applied_at as Date).toISOString())).toEqual(['2026-01-01T00:00:00.000Z']);
    } finally {
      await ds.destroy();
    }
  });

  it("takes migrations from a provider (Kysely's MigrationProvider is the model): classes or instances, named as TypeORM names them", async () => {
    const d = dir('basic');
    /* eslint-disable @typescript-eslint/no-require-imports -- the fixture classes, as an application would import them */
    const { CreateKittens1700000000001 } = require(path.join(d, '1700000000001-CreateKittens.ts'));
    const { AddKittenColor1700000000002 } = require(path.join(d, '1700000000002-AddKittenColor.ts'));
    /* eslint-enable @typescript-eslint/no-require-imports */
    const ds = await new DataSource({ type: 'postgres', url: db.url, logging: false }).initialize();
    try {
      const migrator = new Migrator({ dataSource: ds, timeouts: TIMEOUTS, migrations: { provider: async () => [CreateKittens1700000000001, new AddKittenColor1700000000002()] } });
      expect((await migrator.status()).pending).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002']);
      expect((await migrator.up()).error).toBeUndefined();
      expect((await client.query('SELECT name FROM migrations ORDER BY id')).rows.map((r) => r.name)).toEqual(['CreateKittens1700000000001', 'AddKittenColor1700000000002']);
    } finally {
      await ds.destroy();
    }
  });
});

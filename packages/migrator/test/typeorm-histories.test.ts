import path from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { lintMigrations, readMigrationFiles, type MigrationDataSource } from '../src';
import type { TestDatabase } from './support/database';
import { closeFixtureDatabase, openFixtureDatabase } from './support/fixture-database';
import { FIXTURES, migrationsDir, type MigrationsDir } from './support/fixtures';

const NAMES = ['CreateOwners1700000400001', 'AddOwnerEmail1700000400002', 'CreateOwnerNameIndex1700000400003', 'AddPets1700000400004'];

/** Migration files in the shapes public TypeORM projects use, all of which TypeORM itself runs. */
describe('every history TypeORM accepts', () => {
  let db: TestDatabase;
  let dir: MigrationsDir;
  let ds: MigrationDataSource;
  let client: Client;

  beforeEach(async () => {
    ({ db, dir, ds, client } = await openFixtureDatabase(['typeorm-shapes']));
  });
  afterEach(async () => {
    await closeFixtureDatabase({ db, dir, ds, client });
  });

  /** TypeORM's own runner and CLI, on the same folder: what it accepts is the measure. */
  const plainTypeorm = () => new DataSource({ type: 'postgres', url: db.url, migrations: [path.join(dir.dir, '*.{ts,js}')], logging: false });
  const recorded = async () => (await client.query('SELECT name FROM migrations ORDER BY id')).rows.map((r) => r.name);

  it('reads the names TypeORM records: the name property, else the class; file names without timestamps; default exports; compiled JS', async () => {
    const files = await readMigrationFiles(dir.dir);
    expect(files.map((f) => [f.name, f.className, f.timestamp])).toEqual([
      ['CreateOwners1700000400001', 'CreateOwners1700000400001', 1700000400001],
      ['AddOwnerEmail1700000400002', 'AddOwnerEmail', 1700000400002],
      ['CreateOwnerNameIndex1700000400003', 'OwnerIndex', 1700000400003],
      ['AddPets1700000400004', 'AddPets1700000400004', 1700000400004],
    ]);
    // Conventions that would help are said, not enforced.
    expect(files.flatMap((f) => f.notes)).toEqual([
      expect.stringMatching(/^AddOwnerEmail\.ts: the file name does not start with the timestamp/),
      expect.stringMatching(/^AddOwnerEmail\.ts: class AddOwnerEmail records its migration as 'AddOwnerEmail1700000400002'/),
      expect.stringMatching(/^1700000400003-owner-index\.ts: class OwnerIndex records its migration as 'CreateOwnerNameIndex1700000400003'/),
    ]);
  });

  it('applies them under the names TypeORM would record, and TypeORM then sees nothing pending', async () => {
    const result = await ds.migrator().up();
    expect(result.error).toBeUndefined();
    expect(await recorded()).toEqual(NAMES);
    const plain = await plainTypeorm().initialize();
    try {
      expect(await plain.showMigrations()).toBe(false);
    } finally {
      await plain.destroy();
    }
  });

  it("adopts a history TypeORM's own runner wrote: applied, checksums recorded on the next up, no problems", async () => {
    const plain = await plainTypeorm().initialize();
    try {
      await plain.runMigrations();
    } finally {
      await plain.destroy();
    }
    const before = await ds.migrator().status();
    expect(before).toMatchObject({ pending: [], problems: [], current: 'AddPets1700000400004' });
    expect(before.migrations.map((m) => m.checksum)).toEqual(['unrecorded', 'unrecorded', 'unrecorded', 'unrecorded']);
    const up = await ds.migrator().up();
    expect(up).toMatchObject({ results: [], adopted: NAMES });
    expect((await ds.migrator().status()).migrations.map((m) => m.checksum)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('adopts a database whose schema exists without any history with stamp head, under the recorded names', async () => {
    await client.query(`CREATE TABLE "owners" ("id" SERIAL PRIMARY KEY, "name" character varying NOT NULL, "email" character varying)`);
    await client.query(`CREATE INDEX "idx_owners_name" ON "owners" ("name")`);
    await client.query(`CREATE TABLE "pets" ("id" SERIAL PRIMARY KEY, "owner_id" integer)`);
    const stamped = await ds.migrator().stamp('head');
    expect(stamped).toMatchObject({ inserted: NAMES, current: 'AddPets1700000400004' });
    expect(await recorded()).toEqual(NAMES);
    // A later migration then applies on top, and TypeORM agrees nothing is pending.
    expect((await ds.migrator().up()).results).toEqual([]);
    const plain = await plainTypeorm().initialize();
    try {
      expect(await plain.showMigrations()).toBe(false);
    } finally {
      await plain.destroy();
    }
  });

  it('`stamp TARGET` takes the name TypeORM records', async () => {
    const stamped = await ds.migrator().stamp('AddOwnerEmail17');
    expect(stamped.inserted).toEqual(NAMES.slice(0, 2));
  });
});

describe('lint FILE...', () => {
  it('lints exactly the files given, whatever their neighbours', async () => {
    const dir = migrationsDir('typeorm-shapes', 'refused-neighbour');
    try {
      await expect(readMigrationFiles(dir.dir)).rejects.toThrow(/Seed\.ts: migration class Seed does not end in a 13-digit timestamp, which TypeORM requires too/);
      const file = path.join(dir.dir, 'AddOwnerEmail.ts');
      const report = await lintMigrations({ migrationsDir: dir.dir, files: [file] });
      expect(report.files).toEqual([file]);
      expect(report.notes).toHaveLength(2);
      expect(report.errors).toBe(0);
    } finally {
      dir.remove();
    }
  });

  it('lints a file given by itself even when it is the one TypeORM would refuse, and says why', async () => {
    await expect(lintMigrations({ migrationsDir: FIXTURES, files: [path.join(FIXTURES, 'refused-neighbour/Seed.ts')] })).rejects.toMatchObject({
      code: 'invalid_migration_file',
    });
  });
});

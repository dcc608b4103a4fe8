/**
 * The baseline of the many-migrations benchmark: a plain TypeORM DataSource (no Migrator, no
 * lock, no checksums) over BENCH_DATABASE_URL with the migrations of BENCH_MIGRATIONS_DIR, for
 * `typeorm migration:run -d bench/plain-data-source.ts`. data-source.ts would not do: its
 * runMigrations() goes through our Migrator.
 */
import 'reflect-metadata';
import path from 'node:path';
import { DataSource } from 'typeorm';

const url = process.env.BENCH_DATABASE_URL;
const dir = process.env.BENCH_MIGRATIONS_DIR;
if (!url || !dir) throw new Error('set BENCH_DATABASE_URL and BENCH_MIGRATIONS_DIR (bench/many-migrations.ts does)');

export default new DataSource({
  type: 'postgres',
  url,
  migrations: [path.join(dir, '*.ts')],
  migrationsTableName: 'migrations',
  migrationsTransactionMode: 'each',
  logging: false,
});

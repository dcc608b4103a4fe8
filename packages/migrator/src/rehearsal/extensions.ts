import type { DataSource } from 'typeorm';
import type { MigrationFile } from '../migration-files';
import { q } from './pg';

// The real database's extensions, made in the scratch database before the history is replayed there.

export interface Extension {
  readonly name: string;
  readonly schema: string;
  readonly version: string;
}

/**
 * Extensions the history expects without creating them: installed on the real database (by a
 * DBA, by Neon, by `CREATE EXTENSION` outside the migrations), so a migration calling
 * `uuid_generate_v4()` works there and would fail on a bare scratch database. An extension that a
 * migration file creates itself is left to that migration (pre-creating it would make a plain
 * `CREATE EXTENSION` of the replay fail).
 */
export async function extensionsToPrepare(real: DataSource, files: readonly MigrationFile[]): Promise<Extension[]> {
  const rows: Extension[] = await real.query(
    `SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version
       FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      WHERE e.extname <> 'plpgsql' ORDER BY e.oid`,
  );
  const created = new Set(files.flatMap((f) => [...f.source.matchAll(/CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([\w-]+)"?/gi)].map((m) => m[1]!.toLowerCase())));
  return rows.filter((e) => !created.has(e.name.toLowerCase()));
}

/** Creates each extension (and its schema) in the scratch database, at the real database's version. */
export async function createExtensions(scratch: DataSource, extensions: readonly Extension[]): Promise<void> {
  for (const e of extensions) {
    await scratch.query(`CREATE SCHEMA IF NOT EXISTS ${q(e.schema)}`);
    await scratch.query(`CREATE EXTENSION IF NOT EXISTS ${q(e.name)} WITH SCHEMA ${q(e.schema)} VERSION '${e.version.replace(/'/g, "''")}'`);
  }
}

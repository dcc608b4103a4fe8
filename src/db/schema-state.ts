import type { DataSource } from 'typeorm';
import { MIGRATIONS_TABLE } from './migration-paths';

export interface SchemaState {
  /** True when every migration the code knows is applied, and nothing else is. */
  atHead: boolean;
  /**
   * True when every migration the code knows is applied: the build can run. Migrations it does
   * not know (`unknown`) are a newer release's expand steps, applied before that release rolls
   * out (issue 21): the database is ahead, and this build still runs on it.
   */
  compatible: boolean;
  /** Name of the newest migration the code ships (its head). */
  expectedHead: string | null;
  /** Name of the newest migration recorded in the database. */
  appliedHead: string | null;
  /** Migrations the code ships that the database has not applied. */
  pending: string[];
  /** Migrations the database has applied that this build of the code does not know. */
  unknown: string[];
}

/**
 * Compares the migrations the code ships (the DataSource's `migrations`) with those recorded in
 * the database. Read-only and a single statement, so it is safe through a transaction pooler.
 */
export async function readSchemaState(dataSource: DataSource): Promise<SchemaState> {
  const expected = [...dataSource.migrations]
    .map((m) => m.name ?? m.constructor.name)
    .sort((a, b) => timestampOf(a) - timestampOf(b));
  const rows: { name: string }[] = await dataSource
    // MIGRATIONS_TABLE is schema.table, both plain lower-case identifiers: no quoting needed.
    .query(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY "timestamp", id`)
    .catch((err: { code?: string; driverError?: { code?: string } }) => {
      // undefined_table: no migration has ever run on this database.
      if ((err.code ?? err.driverError?.code) === '42P01') return [];
      throw err;
    });
  const applied = rows.map((r) => r.name);
  const appliedSet = new Set(applied);
  const expectedSet = new Set(expected);
  const pending = expected.filter((n) => !appliedSet.has(n));
  const unknown = applied.filter((n) => !expectedSet.has(n));
  return {
    atHead: pending.length === 0 && unknown.length === 0,
    compatible: pending.length === 0,
    expectedHead: expected.at(-1) ?? null,
    appliedHead: applied.at(-1) ?? null,
    pending,
    unknown,
  };
}

/** TypeORM migration names end in their 13-digit timestamp. */
export function timestampOf(name: string): number {
  const match = /(\d{13})$/.exec(name);
  return match ? Number(match[1]) : 0;
}

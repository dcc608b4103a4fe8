import type { DataSource } from 'typeorm';
import { withInPlaceColumnChanges } from './column-change';
import type { DiffQuery } from './diff-query';
import { restoreEnumDefaultsInDown } from './enum-defaults';
import { removeNoOpRecreations } from './schema-noise';
import { loadSqlParser } from './sql-parser';

export interface SchemaDiff {
  readonly up: readonly DiffQuery[];
  readonly down: readonly DiffQuery[];
  /** What was compared, for the one-line answer when there is nothing to generate. */
  readonly compared: string;
  readonly entityCount: number;
  /** Indexes and foreign keys TypeORM wanted to drop and re-create identically (left out). */
  readonly removedNoise: readonly string[];
}

/**
 * Which package each mapped entity comes from, so "nothing to generate" can say what was loaded
 * (the usual cause of a silent empty diff is an entity package that was not loaded: #5965).
 */
export function describeEntities(dataSource: DataSource, packages: EntityGroups): string {
  const targets = dataSource.entityMetadatas.map((m) => m.target);
  const parts = Object.entries(packages).map(([pkg, entities]) => `${pkg} ${targets.filter((t) => entities.includes(t)).length}`);
  const other = targets.filter((t) => !Object.values(packages).some((e) => e.includes(t))).length;
  if (!parts.length) return `${targets.length} entities`;
  if (other) parts.push(`other ${other}`);
  return `${targets.length} entities (${parts.join(', ')})`;
}

export function describeDatabase(dataSource: DataSource): string {
  const url = (dataSource.options as { url?: string }).url;
  if (!url) return `database ${String(dataSource.driver.database)}`;
  const parsed = new URL(url);
  return `database ${parsed.pathname.slice(1)} at ${parsed.hostname}:${parsed.port || 5432}`;
}

/**
 * Entities by the package or service that owns them, for the one-line description of what was
 * compared (e.g. `{ auth: [User, Session], '@acme/catalog': [Cat] }`).
 */
export type EntityGroups = Readonly<Record<string, readonly unknown[]>>;

/**
 * The SQL that would bring the database to the entities, from TypeORM's schema builder, without
 * the index and foreign key re-creations that change nothing (schema-noise.ts), and with a changed
 * column type made in place (column-change.ts) instead of TypeORM's drop and re-add. The other false
 * diffs reported against TypeORM (#3076 defaults such as gen_random_uuid() or jsonb, #2959 and
 * #10418 enums, #3991 timestamp precision) do not occur on this project's schema with TypeORM
 * 1.x: the service's test/migrator/schema-workflow.test.ts proves generate-after-apply and
 * generate-twice give nothing.
 */
export async function diffSchema(dataSource: DataSource, entityGroups: EntityGroups = {}): Promise<SchemaDiff> {
  // A changed type or length is written as ALTER COLUMN ... TYPE, never as TypeORM's drop and re-add.
  const builder = dataSource.driver.createSchemaBuilder();
  const sql = await withInPlaceColumnChanges(dataSource, () => builder.log());
  const raw = {
    up: sql.upQueries.map((q) => ({ query: q.query, parameters: q.parameters })),
    down: [...sql.downQueries].reverse().map((q) => ({ query: q.query, parameters: q.parameters })),
  };
  // The parser (a WASM module) is loaded only when there is something to clean: a diff with nothing
  // in it, generate's everyday case, does not pay for it.
  if (raw.up.length) await loadSqlParser();
  const { up, down: noiseless, removed } = removeNoOpRecreations(raw.up, raw.down);
  const down = await restoreEnumDefaultsInDown(noiseless, async (table, column) => {
    const rows: { def: string | null }[] = await dataSource.query(
      `SELECT pg_get_expr(d.adbin, d.adrelid) AS def FROM pg_attribute a
         JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = to_regclass($1) AND a.attname = $2`,
      [table, column],
    );
    return rows[0]?.def ?? null;
  });
  return {
    up,
    down,
    removedNoise: removed,
    compared: `compared ${describeEntities(dataSource, entityGroups)} with ${describeDatabase(dataSource)}`,
    entityCount: dataSource.entityMetadatas.length,
  };
}

import { hostname, userInfo } from 'node:os';

/**
 * Anything that runs SQL and returns rows: a TypeORM QueryRunner, or a plain pg client for the
 * commands that only read (status, history), which then start without loading TypeORM.
 */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows as the driver returns them
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/**
 * The applied history lives in TypeORM's own `migrations` table (the runtime's /ready and the
 * plain TypeORM CLI read it); what TypeORM does not keep (checksum, when, how long, who) lives
 * beside it, in the same schema, in CHECKSUMS_TABLE, one row per applied migration. No entity
 * maps that table, so TypeORM's schema diff never proposes to drop it.
 */
export const CHECKSUMS_TABLE = 'migration_checksums';

/**
 * Where the history is kept, from the DataSource's `migrationsTableName`: `migrations` (in the
 * search path, usually public) or `schema.migrations`, the checksums always beside it.
 */
export interface HistoryTables {
  /** Null when the name is unqualified. */
  readonly schema: string | null;
  /** Quoted, qualified when a schema is given: ready to splice into SQL. */
  readonly migrations: string;
  readonly checksums: string;
  /** The bare names, for the legacy place (public) a history is moved from. */
  readonly migrationsName: string;
}

export function historyTables(migrationsTable: string): HistoryTables {
  const dot = migrationsTable.indexOf('.');
  const schema = dot < 0 ? null : migrationsTable.slice(0, dot);
  const name = dot < 0 ? migrationsTable : migrationsTable.slice(dot + 1);
  const q = (table: string) => (schema === null ? quoteIdent(table) : `${quoteIdent(schema)}.${quoteIdent(table)}`);
  return { schema, migrations: q(name), checksums: q(CHECKSUMS_TABLE), migrationsName: name };
}

export interface AppliedMigration {
  readonly id: number;
  readonly timestamp: number;
  readonly name: string;
  /** Null for a migration applied before checksums existed (adopted on the next write). */
  readonly checksum: string | null;
  readonly appliedAt: Date | null;
  readonly durationMs: number | null;
  readonly appliedBy: string | null;
  readonly via: string | null;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Who applied it: the OS user and host (the database role is in the connection already). */
export function currentActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep "unknown"
  }
  return `${user}@${hostname()}`;
}

/**
 * Reads the applied history, oldest application first. Empty when no migration ever ran. A
 * history still in `public` (before the tool had a schema of its own) is read from there; the
 * next write moves it (ensureHistoryTables).
 */
export async function readHistory(runner: Queryable, migrationsTable: string): Promise<AppliedMigration[]> {
  let t = historyTables(migrationsTable);
  if (t.schema !== null && !(await tableExists(runner, t.migrations))) {
    const legacy = historyTables(`public.${t.migrationsName}`);
    if (await tableExists(runner, legacy.migrations)) t = legacy;
  }
  const [{ migrations, checksums }] = await runner.query(
    `SELECT to_regclass($1) IS NOT NULL AS migrations, to_regclass($2) IS NOT NULL AS checksums`,
    [t.migrations, t.checksums],
  );
  if (!migrations) return [];
  const rows: Record<string, unknown>[] = await runner.query(
    checksums
      ? `SELECT m.id, m."timestamp", m.name, c.checksum, c.applied_at, c.duration_ms, c.applied_by, c.via
           FROM ${t.migrations} m LEFT JOIN ${t.checksums} c ON c.name = m.name
          ORDER BY m.id`
      : `SELECT m.id, m."timestamp", m.name, NULL AS checksum, NULL AS applied_at, NULL AS duration_ms, NULL AS applied_by, NULL AS via
           FROM ${t.migrations} m ORDER BY m.id`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    timestamp: Number(r.timestamp),
    name: String(r.name),
    checksum: (r.checksum as string | null) ?? null,
    appliedAt: r.applied_at ? new Date(r.applied_at as string) : null,
    durationMs: r.duration_ms === null || r.duration_ms === undefined ? null : Number(r.duration_ms),
    appliedBy: (r.applied_by as string | null) ?? null,
    via: (r.via as string | null) ?? null,
  }));
}

export interface RecordInput {
  readonly name: string;
  readonly timestamp: number;
  readonly checksum: string;
  readonly durationMs: number | null;
  /** What wrote the row: `migrate up`, `typeorm migration:run`, `stamp`, `adopted`. */
  readonly via: string;
}

/** True when the (quoted, possibly qualified) table exists. */
export async function tableExists(runner: Queryable, quotedTable: string): Promise<boolean> {
  const [{ found }] = await runner.query(`SELECT to_regclass($1) IS NOT NULL AS found`, [quotedTable]);
  return found === true;
}

export function recordApplied(migrationsTable: string, m: RecordInput): { sql: string; params: unknown[] }[] {
  return [
    { sql: `INSERT INTO ${historyTables(migrationsTable).migrations} ("timestamp", "name") VALUES ($1, $2)`, params: [m.timestamp, m.name] },
    recordChecksum(migrationsTable, m),
  ];
}

export function recordChecksum(migrationsTable: string, m: Omit<RecordInput, 'timestamp'>): { sql: string; params: unknown[] } {
  return {
    sql: `INSERT INTO ${historyTables(migrationsTable).checksums} (name, checksum, duration_ms, applied_by, via) VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now(), duration_ms = EXCLUDED.duration_ms,
            applied_by = EXCLUDED.applied_by, via = EXCLUDED.via`,
    params: [m.name, m.checksum, m.durationMs === null ? null : Math.round(m.durationMs), currentActor(), m.via],
  };
}

export function recordReverted(migrationsTable: string, name: string): { sql: string; params: unknown[] }[] {
  return [
    { sql: `DELETE FROM ${historyTables(migrationsTable).migrations} WHERE "name" = $1`, params: [name] },
    { sql: `DELETE FROM ${historyTables(migrationsTable).checksums} WHERE name = $1`, params: [name] },
  ];
}


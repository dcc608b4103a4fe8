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
 * The applied history lives in TypeORM's own `migrations` table (an application's readiness check
 * and the plain TypeORM CLI read it); what TypeORM does not keep (checksum, when, how long, who)
 * lives beside it in the checksums table, one row per applied migration. No entity maps that
 * table, so TypeORM's schema diff never proposes to drop it.
 */
export const CHECKSUMS_TABLE = 'migration_checksums';

/** Where the two history tables are. */
export interface HistoryLocation {
  /**
   * Schema of both tables, created when missing. Null: unqualified names, i.e. the connection's
   * search_path (public by default), which is where TypeORM's own runner looks.
   */
  readonly schema: string | null;
  /** TypeORM's history table (TypeORM's `migrationsTableName`, default `migrations`). */
  readonly table: string;
  /** The tool's own table of checksums (default `migration_checksums`). */
  readonly checksumsTable: string;
  /** A schema an earlier setup kept the tables in, to be moved from on the next write (HistoryOptions.moveFrom). */
  readonly moveFrom?: string;
}

export const DEFAULT_HISTORY: HistoryLocation = { schema: null, table: 'migrations', checksumsTable: CHECKSUMS_TABLE };

/** The SQL names of the history tables, schema-qualified when a schema is set. */
export function historyNames(h: HistoryLocation): { migrations: string; checksums: string } {
  const q = (t: string) => (h.schema ? `${quoteIdent(h.schema)}.${quoteIdent(t)}` : quoteIdent(t));
  return { migrations: q(h.table), checksums: q(h.checksumsTable) };
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
 * With `moveFrom`, a history may still be where an earlier setup left it; until the next write
 * moves it (ensureHistoryTables), it is read from there. Without it nothing is looked for elsewhere.
 */
export async function legacyHistory(runner: Queryable, location: HistoryLocation): Promise<HistoryLocation | null> {
  if (!location.schema || !location.moveFrom || location.moveFrom === location.schema) return null;
  const legacy: HistoryLocation = { ...location, schema: location.moveFrom, moveFrom: undefined };
  const [{ here, there }] = await runner.query(`SELECT to_regclass($1) IS NOT NULL AS here, to_regclass($2) IS NOT NULL AS there`, [
    historyNames(location).migrations,
    historyNames(legacy).migrations,
  ]);
  return !here && there ? legacy : null;
}

/** Reads the applied history, oldest application first. Empty when no migration ever ran. */
export async function readHistory(runner: Queryable, location: HistoryLocation): Promise<AppliedMigration[]> {
  const names = historyNames((await legacyHistory(runner, location)) ?? location);
  const [{ migrations, checksums }] = await runner.query(
    `SELECT to_regclass($1) IS NOT NULL AS migrations, to_regclass($2) IS NOT NULL AS checksums`,
    [names.migrations, names.checksums],
  );
  if (!migrations) return [];
  const rows: Record<string, unknown>[] = await runner.query(
    checksums
      ? `SELECT m.id, m."timestamp", m.name, c.checksum, c.applied_at, c.duration_ms, c.applied_by, c.via
           FROM ${names.migrations} m LEFT JOIN ${names.checksums} c ON c.name = m.name
          ORDER BY m.id`
      : `SELECT m.id, m."timestamp", m.name, NULL AS checksum, NULL AS applied_at, NULL AS duration_ms, NULL AS applied_by, NULL AS via
           FROM ${names.migrations} m ORDER BY m.id`,
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

export function recordApplied(location: HistoryLocation, m: RecordInput): { sql: string; params: unknown[] }[] {
  return [
    { sql: `INSERT INTO ${historyNames(location).migrations} ("timestamp", "name") VALUES ($1, $2)`, params: [m.timestamp, m.name] },
    recordChecksum(location, m),
  ];
}

/**
 * recordApplied's two rows in one statement (the history row in a data-modifying WITH, which
 * PostgreSQL runs to completion whether or not it is read), for a run: one round trip per
 * migration instead of two, and the two rows are never written apart, even without a transaction.
 */
export function recordAppliedAtOnce(location: HistoryLocation, m: RecordInput): { sql: string; params: unknown[] } {
  const checksum = recordChecksum(location, m);
  return {
    sql: `WITH applied AS (INSERT INTO ${historyNames(location).migrations} ("timestamp", "name") VALUES ($6, $1))\n${checksum.sql}`,
    params: [...checksum.params, m.timestamp],
  };
}

/**
 * The checksum row of a migration. `keepApplied`: only the checksum changes on an existing row
 * (adopting an earlier version's checksum keeps when, by whom and how it was applied).
 */
export function recordChecksum(location: HistoryLocation, m: Omit<RecordInput, 'timestamp'>, opts: { keepApplied?: boolean } = {}): { sql: string; params: unknown[] } {
  const onConflict = opts.keepApplied
    ? 'checksum = EXCLUDED.checksum'
    : 'checksum = EXCLUDED.checksum, applied_at = now(), duration_ms = EXCLUDED.duration_ms, applied_by = EXCLUDED.applied_by, via = EXCLUDED.via';
  return {
    sql: `INSERT INTO ${historyNames(location).checksums} (name, checksum, duration_ms, applied_by, via) VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (name) DO UPDATE SET ${onConflict}`,
    params: [m.name, m.checksum, m.durationMs === null ? null : Math.round(m.durationMs), currentActor(), m.via],
  };
}

/** recordReverted's two deletes in one statement, as recordAppliedAtOnce does for its inserts. */
export function recordRevertedAtOnce(location: HistoryLocation, name: string): { sql: string; params: unknown[] } {
  const names = historyNames(location);
  return { sql: `WITH reverted AS (DELETE FROM ${names.migrations} WHERE "name" = $1) DELETE FROM ${names.checksums} WHERE name = $1`, params: [name] };
}

export function recordReverted(location: HistoryLocation, name: string): { sql: string; params: unknown[] }[] {
  const names = historyNames(location);
  return [
    { sql: `DELETE FROM ${names.migrations} WHERE "name" = $1`, params: [name] },
    { sql: `DELETE FROM ${names.checksums} WHERE name = $1`, params: [name] },
  ];
}

